#!/usr/bin/env python3
"""The Python reference numbers promptstudio is compared with: PromptSource's
own code (promptsource 0.2.3, `promptsource.templates`) timed on this machine.

Usage:
    python3 benches/python/promptsource_reference.py TEMPLATES_DIR [--rows N]
        [--export-rows N] [--repeat N] [--venv DIR]

TEMPLATES_DIR is a PromptSource templates tree, e.g.
/work/shared/conformance/templates (it must contain ag_news/templates.yaml).

Without --venv the script creates a temporary virtualenv, installs
jinja2, pyyaml, pandas and setuptools, then promptsource==0.2.3 with
--no-deps --ignore-requires-python (its metadata asks for Python < 3.10 but
its templates code runs on 3.11; its other dependencies, such as streamlit
and datasets, are only needed by the app), runs the measurements inside it and
deletes it. With --venv DIR an existing environment with those packages is
used as is (handy for repeated runs). Needs network access to PyPI for the
install step. Prints one JSON document on stdout.

What is measured, single process:
  load_collection  `promptsource.templates.TemplateCollection()`: every
                   templates.yaml of the tree read with PromptSource's loader
                   (PyYAML FullLoader, pure Python). PromptSource reads from
                   its package folder through the module global
                   TEMPLATES_FOLDER_PATH, which the script points at the given
                   tree (through a folder of symbolic links to the tree's
                   dataset folders, since PromptSource would try to list any
                   top-level file, such as a LICENSE, as a dataset folder).
  stock_apply      `Template.apply(row)` over generated ag_news-like rows and
                   the tree's ag_news templates. apply() compiles the template
                   (and its answer_choices expression) with jinja2 on every
                   call, as PromptSource does.
  cached_apply     the best case for Python: the same steps as apply() (the
                   truncation rewrite, pipe protection, answer choices, render,
                   split and strip) with each template and answer_choices
                   expression compiled once by PromptSource's own jinja2
                   Environment (`promptsource.templates.env`) and reused.
                   The outputs are checked to be identical to stock apply()
                   for every row. (Caching changes seeded results for
                   templates that draw random numbers at compile time; the
                   ag_news templates draw none.)
  export           an export-like loop: one template over rows, writing one
                   JSON line per row (inputs, targets, answer_choices) to a
                   temporary file, stock (apply and get_answer_choices_list,
                   as a user of the library would call them) and cached, timed
                   on --export-rows rows and extrapolated linearly to
                   1,000,000 rows.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv

PACKAGES = ["jinja2", "pyyaml", "pandas", "setuptools"]
PROMPTSOURCE = "promptsource==0.2.3"
EXTRAPOLATED_ROWS = 1_000_000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("templates", help="a PromptSource templates tree")
    parser.add_argument("--rows", type=int, default=300, help="generated rows for the apply rates (default 300)")
    parser.add_argument("--export-rows", type=int, default=2000,
                        help="rows timed for the export extrapolation (default 2000)")
    parser.add_argument("--repeat", type=int, default=3, help="collection loads to time (default 3)")
    parser.add_argument("--venv", help="use this existing virtualenv instead of a temporary one")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


# ---------------------------------------------------------------------------
# Outside: make the environment and run this script inside it.

def venv_python(directory):
    return os.path.join(directory, "bin", "python")


def install(directory):
    venv.create(directory, with_pip=True)
    python = venv_python(directory)
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(pip + PACKAGES, check=True, stdout=sys.stderr)
    subprocess.run(pip + ["--no-deps", "--ignore-requires-python", PROMPTSOURCE], check=True, stdout=sys.stderr)


def run_inside(python, args):
    command = [python, os.path.abspath(__file__), args.templates, "--inside", "--rows", str(args.rows),
               "--export-rows", str(args.export_rows), "--repeat", str(args.repeat)]
    return subprocess.run(command, check=False).returncode


def outside(args):
    if not os.path.isfile(os.path.join(args.templates, "ag_news", "templates.yaml")):
        sys.exit(f"{args.templates}: no ag_news/templates.yaml; pass a PromptSource templates tree")
    if args.venv:
        return run_inside(venv_python(args.venv), args)
    directory = tempfile.mkdtemp(prefix="promptsource-reference-")
    try:
        print(f"installing {', '.join(PACKAGES)} and {PROMPTSOURCE} into {directory}", file=sys.stderr)
        install(directory)
        return run_inside(venv_python(directory), args)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# ---------------------------------------------------------------------------
# Inside: the measurements.

WORDS = (
    "the a of to and in for on with as by at from its their new market government officials company "
    "said says report reports year week first last quarter team season game win wins lost league "
    "shares stock prices profit sales growth oil bank economy minister president election talks "
    "security forces attack peace deal agreement researchers scientists study space software "
    "internet computer phone network users technology launch launches plans announced record "
    "million billion percent city country world national state local people analysts investors "
    "police court trial coach players final championship cup open round victory defeat"
).split()


def make_rows(count, seed=20240601):
    """ag_news-like rows: about 240 characters of English-like text, a label 0..3."""
    import random

    generator = random.Random(seed)
    rows = []
    for _ in range(count):
        sentences = []
        length = 0
        while length < 240:
            words = [generator.choice(WORDS) for _ in range(generator.randint(6, 14))]
            sentence = " ".join(words).capitalize() + "."
            sentences.append(sentence)
            length += len(sentence) + 1
        rows.append({"text": " ".join(sentences)[:240].rstrip() + ".", "label": generator.randrange(4)})
    return rows


def linked_tree(templates, into):
    """A folder holding only symbolic links to the tree's dataset folders."""
    skipped = []
    for name in sorted(os.listdir(templates)):
        source = os.path.abspath(os.path.join(templates, name))
        if os.path.isdir(source) and not name.startswith("."):
            os.symlink(source, os.path.join(into, name))
        else:
            skipped.append(name)
    return skipped


def timed(function):
    import time

    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def cached_apply_factory(templates_module):
    """Template.apply with compilation hoisted out: see the module docstring."""
    env = templates_module.env
    template_class = templates_module.Template
    length = templates_module.TEXT_VAR_LENGTH

    def compile_template(template):
        jinja = template.jinja.replace("}}", f" | string | truncate({length}) }}}}")
        compiled = env.from_string(jinja)
        choices = template.get_answer_choices_expr()
        compiled_choices = env.from_string(choices) if choices is not None else None

        def answer_choices(example):
            if compiled_choices is None:
                return None
            rendered_choices = compiled_choices.render(**template_class._escape_pipe(example))
            return [template_class._unescape_pipe(choice.strip()) for choice in rendered_choices.split("|||")]

        def apply(example):
            protected = template_class._escape_pipe(example)
            if "answer_choices" in protected:
                raise ValueError("Example contains the restricted key 'answer_choices'.")
            protected["answer_choices"] = answer_choices(example)
            rendered = compiled.render(**protected)
            return [template_class._unescape_pipe(part).strip() for part in rendered.split("|||")]

        return apply, answer_choices

    return compile_template


def export(path, rows, apply, answer_choices):
    with open(path, "w", encoding="utf-8") as out:
        for row in rows:
            parts = apply(row)
            record = {
                "inputs": parts[0],
                "targets": parts[1] if len(parts) > 1 else "",
                "answer_choices": answer_choices(row),
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def inside(args):
    import platform
    import statistics
    import warnings

    warnings.filterwarnings("ignore")  # pkg_resources deprecation notices
    import jinja2
    import yaml

    import promptsource
    import promptsource.templates as templates_module

    report = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "jinja2": jinja2.__version__,
        "pyyaml": yaml.__version__,
        "promptsource": getattr(promptsource, "__version__", "0.2.3"),
        "libyaml_available": bool(getattr(yaml, "__with_libyaml__", False)),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "templates_tree": os.path.abspath(args.templates),
    }

    work = tempfile.mkdtemp(prefix="promptsource-reference-work-")
    try:
        tree = os.path.join(work, "templates")
        os.mkdir(tree)
        skipped = linked_tree(args.templates, tree)
        templates_module.TEMPLATES_FOLDER_PATH = tree

        load_times = []
        collection = None
        for _ in range(max(1, args.repeat)):
            elapsed, collection = timed(templates_module.TemplateCollection)
            load_times.append(elapsed)
        template_count = sum(len(dataset.templates) for dataset in collection.datasets_templates.values())
        report["load_collection"] = {
            "files": len(collection.datasets_templates),
            "templates": template_count,
            "skipped_top_level_entries": skipped,
            "seconds_min": round(min(load_times), 4),
            "seconds_median": round(statistics.median(load_times), 4),
            "runs": len(load_times),
        }

        ag_news = templates_module.DatasetTemplates("ag_news")
        ag_templates = [ag_news.templates[key] for key in sorted(ag_news.templates)]
        rows = make_rows(args.rows)
        applies = len(rows) * len(ag_templates)

        def stock():
            return [[template.apply(row) for row in rows] for template in ag_templates]

        stock_seconds, stock_outputs = timed(stock)
        report["stock_apply"] = {
            "templates": len(ag_templates),
            "rows": len(rows),
            "applies": applies,
            "seconds": round(stock_seconds, 4),
            "applies_per_second": round(applies / stock_seconds, 1),
            "mean_text_chars": round(sum(len(row["text"]) for row in rows) / len(rows), 1),
        }

        compile_template = cached_apply_factory(templates_module)
        compile_seconds, cached_templates = timed(lambda: [compile_template(t) for t in ag_templates])

        def cached():
            return [[apply(row) for row in rows] for apply, _ in cached_templates]

        cached_seconds, cached_outputs = timed(cached)
        report["cached_apply"] = {
            "templates": len(ag_templates),
            "rows": len(rows),
            "applies": applies,
            "compile_seconds": round(compile_seconds, 4),
            "seconds": round(cached_seconds, 4),
            "applies_per_second": round(applies / cached_seconds, 1),
            "outputs_identical_to_stock": cached_outputs == stock_outputs,
        }

        export_rows = make_rows(args.export_rows, seed=7)
        template = ag_templates[0]
        cached_apply, cached_choices = cached_templates[0]
        path = os.path.join(work, "export.jsonl")
        stock_export, _ = timed(lambda: export(path, export_rows, template.apply, template.get_answer_choices_list))
        cached_export, _ = timed(lambda: export(path, export_rows, cached_apply, cached_choices))
        scale = EXTRAPOLATED_ROWS / len(export_rows)
        report["export"] = {
            "template": template.name,
            "timed_rows": len(export_rows),
            "stock_seconds": round(stock_export, 4),
            "cached_seconds": round(cached_export, 4),
            "extrapolated_rows": EXTRAPOLATED_ROWS,
            "stock_seconds_extrapolated": round(stock_export * scale, 1),
            "cached_seconds_extrapolated": round(cached_export * scale, 1),
            "note": "stock: Template.apply and Template.get_answer_choices_list per row (each compiles); "
            "cached: both compiled once",
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)

    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


def main():
    args = parse_args()
    if args.rows < 1 or args.export_rows < 1:
        sys.exit("--rows and --export-rows must be at least 1")
    return inside(args) if args.inside else outside(args)


if __name__ == "__main__":
    sys.exit(main())
