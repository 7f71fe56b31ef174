"""Differential cases for tests/integration/engine_differential.rs: every template of a
PromptSource templates tree applied by PromptSource itself to synthetic rows.

The rows give each variable a template reads a value of a rotating type
(strings with `|||`, ints, lists, nested dicts, lists of dicts, floats, None),
so besides normal renders the cases exercise Python's error paths. Each apply
and each get_answer_choices_list runs right after random.seed(r).

Needs promptsource importable (see DEPENDENCIES.md for a venv recipe):
    python scripts/gen_differential_cases.py TEMPLATES_DIR OUT.jsonl
then
    PROMPTSTUDIO_DIFFERENTIAL_CASES=OUT.jsonl cargo test --test integration engine_differential
"""
import glob
import json
import random
import sys

import yaml
from jinja2 import meta
from promptsource.templates import Template, env

class Loader(yaml.SafeLoader): pass
def construct(loader, node): return loader.construct_mapping(node, deep=True)
Loader.add_constructor('!Template', construct)
Loader.add_constructor('!TemplateMetadata', construct)

SENT = "The cat sat on the mat. It was happy ||| and then it left"
def value(kind, name, r):
    if kind == 0: return [SENT, "yes", "", "  padded  ", "Multi\nline\ttext", "ünïcode straße"][r % 6]
    if kind == 1: return [0, 1, 2, -1, 3, 10][r % 6]
    if kind == 2: return [["first option here", "second one", "third"], [], ["only"], ["a", "b", "c", "d", "e"]][r % 4]
    if kind == 3: return {"text": ["alpha beta", "gamma"], "answer_start": [0, 7], "label": [1, 0], "id": "x1", "name": "Ann", "choices": ["x", "y"], "input_text": ["p", "q"], "answer_end": [3, 9], "texts": [["t1"], ["t2", "t3"]]}
    if kind == 4: return [{"text": "a b", "label": 0, "name": "N", "type": "PER"}, {"text": "c", "label": 1, "name": "M", "type": "LOC"}]
    if kind == 5: return [2.5, 0.0, -1.25, 1e20][r % 4]
    if kind == 6: return None
    if kind == 7: return [[1, 2], [3]]
    return {"a": {"b": "c"}}

templates_dir, out_path = sys.argv[1], sys.argv[2]
out = open(out_path, 'w')
for path in sorted(glob.glob(f'{templates_dir}/**/templates.yaml', recursive=True)):
    d = yaml.load(open(path), Loader=Loader)
    for tid, t in d['templates'].items():
        tpl = Template(t['name'], t['jinja'], t.get('reference', ''), answer_choices=t.get('answer_choices'))
        names = set(meta.find_undeclared_variables(env.parse(t['jinja'])))
        if t.get('answer_choices'):
            names |= set(meta.find_undeclared_variables(env.parse(t['answer_choices'])))
        names.discard('answer_choices')
        names = sorted(names)
        for r in range(14):
            row = {n: value((i * 3 + r) % 9, n, r + i) for i, n in enumerate(names)}
            rec = {"path": path, "id": tid, "row": row}
            random.seed(r)
            rec["seed"] = r
            try:
                rec["parts"] = tpl.apply(dict(json.loads(json.dumps(row))))
            except Exception as e:
                rec["error"] = [type(e).__name__, str(e)]
            random.seed(r)
            try:
                rec["choices"] = tpl.get_answer_choices_list(dict(json.loads(json.dumps(row))))
            except Exception as e:
                rec["choices_error"] = [type(e).__name__, str(e)]
            out.write(json.dumps(rec) + "\n")
