"""Writes one large templates.yaml per size (8,000, 16,000 and 32,000 templates,
about 360 bytes each) under the folder given, for timing YAML loading:

    python3 benches/python/many_templates.py target/bench-data/yaml
    /usr/bin/time -f "%U s user" promptstudio fmt --check target/bench-data/yaml/t32000
"""
import os
import random
import sys
import uuid

root = sys.argv[1] if len(sys.argv) > 1 else "target/bench-data/yaml"
r = random.Random(1)
for n in (8000, 16000, 32000):
    folder = os.path.join(root, f"t{n}", "big")
    os.makedirs(folder, exist_ok=True)
    ids = sorted(str(uuid.UUID(int=r.getrandbits(128), version=4)) for _ in range(n))
    out = ["dataset: big", "templates:"]
    for i, id in enumerate(ids):
        out += [f"  {id}: !Template", "    answer_choices: null", f"    id: {id}",
                f"    jinja: 'Prompt {i}: {{{{ text }}}} ||| {{{{ label }}}}'",
                "    metadata: !TemplateMetadata", "      choices_in_prompt: false",
                "      languages:", "      - en", "      metrics:", "      - Accuracy",
                "      original_task: true", f"    name: prompt_{i}", "    reference: ''"]
    with open(os.path.join(folder, "templates.yaml"), "w") as f:
        f.write("\n".join(out) + "\n")
