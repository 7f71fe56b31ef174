"""How many PromptSource conformance cases minijinja (its Python binding, with
pycompat, PromptSource's filters and truncation added) renders as PromptSource
does: the measured reason our own engine renders PromptSource templates.
Deterministic templates only, same apply steps as PromptSource's Template.apply.

    python3 -m venv V && V/bin/pip install minijinja pyarrow pyyaml
    V/bin/python benches/python/minijinja_promptsource.py ../shared/conformance
"""
import json, sys, random, collections, yaml, pyarrow.parquet as pq, minijinja
root = sys.argv[1]
SENT = "3ed2dface8203c4c9dfb1a5dc58e41e0"
class L(yaml.SafeLoader): pass
L.add_constructor("!Template", lambda l, n: l.construct_mapping(n, deep=True))
L.add_constructor("!TemplateMetadata", lambda l, n: l.construct_mapping(n, deep=True))
def most_frequent(xs):
    c = collections.Counter(xs); m = max(c.values()) if c else 0
    return [x for x in dict.fromkeys(xs) if c[x] == m]
def truncate(s, length=255, killwords=False, end="...", leeway=None):
    s = str(s); leeway = 5 if leeway is None else leeway
    if len(s) <= length + leeway: return s
    if killwords: return s[: length - len(end)] + end
    r = s[: length - len(end)].rsplit(" ", 1)[0]
    return r + end
env = minijinja.Environment(pycompat=True)
env.add_filter("choice", lambda xs: random.choice(xs))
env.add_filter("most_frequent", most_frequent)
env.add_filter("highlight", lambda x: x)
env.add_filter("truncate", truncate)
env.add_global("zip", lambda *a: [list(t) for t in zip(*a)])
total = same = 0
reasons = collections.Counter()
for pair in json.load(open(f"{root}/index.json")):
    ds, sub = pair["dataset"], pair["subset"]
    tpath = f"{root}/templates/{ds}/{sub + '/' if sub else ''}templates.yaml"
    templates = yaml.load(open(tpath), Loader=L)["templates"]
    for split, dpath in pair["data"].items():
        rows = pq.read_table(f"{root}/{dpath}").to_pylist()
        for line in open(f"{root}/{pair['expected'][split]}"):
            case = json.loads(line)
            if case["nondeterministic"]: continue
            t = templates[case["template_id"]]
            row = {k.replace("-", "_"): (v.replace("|||", SENT) if isinstance(v, str) else v) for k, v in rows[case["row"]].items()}
            total += 1
            try:
                ac = None
                if t.get("answer_choices"):
                    ac = [c.strip().replace(SENT, "|||") for c in env.render_str(t["answer_choices"], **row).split("|||")]
                out = env.render_str(t["jinja"].replace("}}", " | string | truncate(2048) }}"), **row, answer_choices=ac)
                parts = [p.strip().replace(SENT, "|||") for p in out.split("|||")]
                ok = case["error"] is None and parts == case["parts"]
                if not ok: reasons["different output" if case["error"] is None else "renders where PromptSource fails"] += 1
            except Exception as e:
                ok = case["error"] is not None
                if not ok: reasons["fails: " + str(e).split("\n")[0][:70]] += 1
            same += ok
print(f"{same} of {total} deterministic cases as PromptSource ({100*same/total:.1f}%)")
for r, n in reasons.most_common(12): print(n, r)
