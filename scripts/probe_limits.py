"""Runs issue 11's hostile probes through a promptstudio binary, each under a
4 GiB address-space cap and a 20 s timeout (as the probes were first run),
and prints one line per probe: exit code (or the signal that ended it),
wall time and peak RSS.

    cargo build --release
    python3 scripts/probe_limits.py target/release/promptstudio

Exit 1 if any probe was killed by a signal, ran past 20 s, or exited with a
code other than 0, 1 or 2. `tests/integration/hostile_probes.rs` checks the
same outcomes (not the times) on every `cargo test`.
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

CAP_BYTES = 4 * 1024**3
TIMEOUT_S = 20

binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/promptstudio")


def template_entry(index, name, jinja):
    uid = f"5e6f7a8b-0000-4000-8000-{index:012}"
    return (f"  {uid}: !Template\n    answer_choices: null\n    id: {uid}\n"
            f"    jinja: {json.dumps(jinja)}\n    metadata: !TemplateMetadata\n"
            "      choices_in_prompt: null\n      languages: []\n      metrics: []\n"
            f"      original_task: null\n    name: {name}\n    reference: ''\n")


def workspace(root, dataset, templates, rows):
    folder = os.path.join(root, dataset, "templates", dataset)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "templates.yaml"), "w") as f:
        f.write(f"dataset: {dataset}\ntemplates:\n")
        for i, (name, jinja) in enumerate(templates):
            f.write(template_entry(i + 1, name, jinja))
    data = os.path.join(root, dataset, "data", dataset, "_")
    os.makedirs(data, exist_ok=True)
    with open(os.path.join(data, "train.jsonl"), "w") as f:
        f.write(rows)
    return os.path.join(root, dataset)


def nested(open_, inner, close, depth):
    return open_ * depth + inner + close * depth


PROBES_RENDER = [
    ("parentheses x2000", "{{ " + nested("(", "1", ")", 2000) + " }}"),
    ("if x5000", nested("{% if true %}\n", "x", "{% endif %}", 5000)),
    ("for x10000", nested("{% for i in [1] %}", "x", "{% endfor %}", 10000)),
    ("unary minus x100000", "{{ " + "-" * 100000 + "1 }}"),
    ("range(10**18)[::-1][0]", "{{ range(10**18)[::-1][0] }}"),
    ("[1,2,3]|slice(10**9)|list", "{{ [1,2,3]|slice(10**9)|list }}"),
    ("~ doubling x64", "{% set ns = namespace(s='ab') %}{% for i in range(64) %}"
                       "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}"),
    ("range(10**7)|list|sort", "{{ range(10**7)|list|sort|length }}"),
    ("{{title}} x40000", "{{ title }}" * 40000),
    ("{% set %} x40000", "".join(f"{{% set v{i} = {i} %}}" for i in range(40000)) + "{{ v1 }}"),
]


def limit():
    resource.setrlimit(resource.RLIMIT_AS, (CAP_BYTES, CAP_BYTES))


def run(label, arguments):
    started = time.monotonic()
    try:
        process = subprocess.Popen([binary, *arguments], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, preexec_fn=limit)
        _, stderr = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        print(f"{label:38} TIMEOUT after {TIMEOUT_S} s")
        return False
    seconds = time.monotonic() - started
    code = process.returncode
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    outcome = f"exit {code}" if code >= 0 else f"SIGNAL {-code}"
    first = stderr.decode(errors="replace").strip().splitlines()
    message = first[-1][:90] if first else ""
    print(f"{label:38} {outcome:9} {seconds:6.2f} s  (peak RSS of any probe so far {peak:6.0f} MB)  {message}")
    return code in (0, 1, 2) and seconds < TIMEOUT_S


def main():
    ok = True
    with tempfile.TemporaryDirectory() as root:
        rows = "".join(json.dumps({"title": f"t{i}", "text": "x"}) + "\n" for i in range(3))
        for index, (label, jinja) in enumerate(PROBES_RENDER):
            ws = workspace(root, f"probe{index}", [("p", jinja + " ||| x")], rows)
            ok &= run(label, ["render", "--workspace", ws, "--dataset", f"probe{index}",
                              "--template", "p"])
        hungry = [(f"h{i}", jinja + " ||| x") for i, (_, jinja) in enumerate(PROBES_RENDER[4:8])]
        ws = workspace(root, "export", hungry + [("ok", "{{ text }} ||| x")], rows)
        ok &= run("export with 4 hungry templates", ["export", "--workspace", ws, "--dataset",
                                                    "export", "--quiet", "--out",
                                                    os.path.join(root, "out")])
        big = os.path.join(root, "yaml32k", "big")
        os.makedirs(big)
        with open(os.path.join(big, "templates.yaml"), "w") as f:
            f.write("dataset: big\ntemplates:\n")
            for i in range(32000):
                f.write(template_entry(i + 1, f"prompt_{i}", f"Prompt {i}: {{{{ text }}}} ||| x"))
        ok &= run("templates.yaml with 32,000 templates", ["fmt", "--check",
                                                           os.path.join(root, "yaml32k")])
        wide = os.path.join(root, "wide.jsonl")
        with open(wide, "w") as f:
            f.write(json.dumps({f"k{i}": i for i in range(100000)}) + "\n")
        ok &= run("JSON Lines line with 100,000 keys", ["inspect", "--schema", wide])
    sys.exit(0 if ok else 1)


main()
