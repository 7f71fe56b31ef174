"""Records what Jinja2 3.1 (with PromptSource's environment) renders for a
list of template snippets, for src/core/jinja/tests.rs.

Each case is compiled and rendered right after random.seed(0), as
PromptSource's apply would, with the variables below (written as the first
line). Run:
    python3 scripts/gen_engine_fixtures.py > tests/fixtures/engine/cases.jsonl
"""
import json
import random
from collections import Counter

from jinja2 import BaseLoader, Environment

env = Environment(loader=BaseLoader)
env.globals.update(zip=zip)


def highlight(input):
    return "<span style='color: #F08080'>" + input + "</span>"


def choice(choices):
    return random.choice(choices)


def most_frequent(items):
    if not items:
        return
    item_counts = Counter(items).most_common()
    max_freq = item_counts[0][1]
    return [c[0] for c in item_counts if c[1] == max_freq]


env.filters["highlight"] = highlight
env.filters["choice"] = choice
env.filters["most_frequent"] = most_frequent

VARS = {
    "text": "  The quick brown fox -- jumps over the lazy dog.  ",
    "words": ["beta", "Alpha", "gamma", "alpha", "Beta"],
    "nums": [3, 1, 2, 10, -4],
    "floats": [1.5, 2.25, -0.1, 1e20, 3.0],
    "label": 2,
    "neg": -1,
    "empty": [],
    "none": None,
    "flag": True,
    "d": {"b": 2, "a": 1, "c": [1, 2]},
    "people": [{"name": "Ann", "age": 31}, {"name": "bob", "age": 25}, {"name": "Cid", "age": 31}],
    "answers": {"text": ["yes", "no"], "answer_start": [0, 5]},
    "multiline": "line one\nline two\r\nline three",
    "unicode": "Ünïcödé straße ǅ",
    "pipes": "a ||| b",
    "num_str": " 42 ",
    "float_str": "3.7",
}

CASES = [
    # printing
    "{{ none }}|{{ flag }}|{{ 2.0 }}|{{ 1e20 }}|{{ 0.1 + 0.2 }}|{{ -0.0 }}|{{ 1/3 }}",
    "{{ words }}|{{ d }}|{{ (1, 'a') }}|{{ ('x',) }}|{{ d.items() }}|{{ d.values() }}|{{ range(2, 10, 3) }}",
    "{{ ['it\\'s', \"q\\\"uote\", 'tab\\t', 'nl\\n', 'back\\\\'] }}",
    "{{ unicode }}|{{ [unicode] }}",
    # arithmetic
    "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7.5 % 2 }} {{ 2 ** 10 }} {{ 2 ** 0.5 }} {{ 10 / 4 }}",
    "{{ 'ab' ~ 1 ~ none ~ [1] }}|{{ 'x' * 3 }}|{{ [1, 2] * 2 }}|{{ [1] + [2] }}|{{ (1,) + (2,) }}",
    "{{ label + 1.5 }}|{{ label * 'ab' }}|{{ -label }}|{{ not label }}",
    "{{ 'a' + 1 }}",
    "{{ 1 + 'a' }}",
    "{{ [1] + 'a' }}",
    "{{ 5 // 0 }}",
    "{{ 5 % 0 }}",
    "{{ 'a' < 1 }}",
    "{{ [1, 'a'] | sort }}",
    # comparisons
    "{{ 1 == 1.0 }} {{ 1 == true }} {{ 'a' in 'cat' }} {{ 2 in nums }} {{ 'b' in d }} {{ 'z' not in d }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}",
    "{{ [1, 2] < [1, 3] }} {{ (1, 2) == (1, 2) }} {{ [1] == (1,) }} {{ none == none }} {{ x == y }}",
    # string methods
    "{{ text.split() }}|{{ text.split(' ') }}|{{ text.split('o', 2) }}|{{ text.rsplit(None, 1) }}",
    "{{ text.strip() }}|{{ text.lstrip() }}|{{ text.rstrip('. ') }}|{{ text.strip(' T.') }}",
    "{{ 'hello world'.title() }}|{{ \"they're bill's friends\".title() }}|{{ 'hELLO'.capitalize() }}|{{ 'ABC'.lower() }}|{{ unicode.upper() }}",
    "{{ text.replace('o', '0') }}|{{ text.replace('o', '0', 2) }}|{{ 'abc'.replace('', '-') }}",
    "{{ text.find('fox') }} {{ text.find('cat') }} {{ text.rfind('o') }} {{ text.index('quick') }} {{ text.count('o') }} {{ unicode.find('straße') }}",
    "{{ text.index('cat') }}",
    "{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'a,b,,c'.split(',') }} {{ '1,2'.partition(',') }}",
    "{{ ', '.join(words) }}|{{ ''.join(['a', 'b']) }}",
    "{{ ', '.join(nums) }}",
    "{{ ', '.join([x]) }}",
    "{{ '42'.isdigit() }} {{ 'ab'.isalpha() }} {{ ' '.isspace() }} {{ 'Ab'.istitle() }} {{ 'AB'.isupper() }} {{ '5'.zfill(3) }} {{ 'ab'.center(6, '*') }} {{ 'ab'.ljust(4) }}|{{ 'ab'.rjust(4) }}",
    "{{ multiline.splitlines() }}|{{ multiline.split('\\n') }}",
    "{{ '{} and {}'.format('a', 1) }}|{{ '{0}{1}{0}'.format('x', 'y') }}|{{ '{name}!'.format(name='n') }}",
    "{{ '%s is %d years' % ('Ann', 31) }}|{{ '%.3f' % 2.5 }}|{{ '%5s|%-5s|' % ('a', 'b') }}|{{ '%x %o %e' % (255, 8, 12345.678) }}|{{ '%(a)s-%(b)s' % {'a': 1, 'b': 2} }}",
    "{{ '%d' % 'x' }}",
    "{{ '%s %s' % ('a',) }}",
    # list and dict methods
    "{% set xs = [] %}{% for w in words %}{{ xs.append(w|lower) }}{% endfor %}{{ xs }}",
    "{% set xs = [3, 1, 2] %}{{ xs.pop() }}{{ xs.pop(0) }}{{ xs }}{{ xs.insert(0, 9) }}{{ xs }}{{ xs.index(9) }}{{ xs.count(2) }}",
    "{% set xs = [3, 1, 2] %}{{ xs.sort() }}{{ xs }}{{ xs.reverse() }}{{ xs }}{{ xs.extend([7]) }}{{ xs }}{{ xs.remove(1) }}{{ xs }}",
    "{% set xs = [1] %}{{ xs.index(5) }}",
    "{% set xs = [] %}{{ xs.pop() }}",
    "{% set e = {} %}{{ e.update({'k': 1}) }}{{ e.update(j=2) }}{{ e }}{{ e.get('k') }}{{ e.get('z') }}{{ e.get('z', 0) }}{{ e.pop('k') }}{{ e }}{{ e.setdefault('m', 5) }}{{ e }}",
    "{{ d.keys() | list }}|{{ d['c'][1] }}|{{ d.c.0 }}|{{ answers.text[0] }}|{{ answers['answer_start'][-1] }}",
    "{% set e = {} %}{{ e.pop('missing') }}",
    # lookups and undefined
    "{{ nums[-1] }}|{{ nums[10] }}|{{ nums[1:3] }}|{{ nums[::-1] }}|{{ nums[:-2] }}|{{ text[2:7] }}|{{ unicode[1:4] }}|{{ nums[::2] }}",
    "{{ missing }}|{{ missing is defined }}|{{ missing | default('dflt') }}|{{ missing | length }}|{{ missing | list }}",
    "{{ missing.attr }}",
    "{{ missing[0] }}",
    "{{ nums[10].x }}",
    "{{ d.nope.x }}",
    "{{ none.x }}|{{ none.x is defined }}",
    "{{ none.x.y }}",
    "{{ missing + 1 }}",
    "{{ missing | int }}",
    "{{ missing() }}",
    "{{ 'abc'[7] }}|{{ 'abc'.nope }}",
    "{{ words[label] }}|{{ words[neg] }}|{{ words.2 }}",
    # filters
    "{{ words | join(', ') }}|{{ people | join(', ', attribute='name') }}|{{ nums | join }}",
    "{{ words | unique | list }}|{{ words | unique(case_sensitive=true) | list }}|{{ words | sort }}|{{ words | sort(reverse=true) }}|{{ words | sort(case_sensitive=true) }}",
    "{{ people | sort(attribute='age') | map(attribute='name') | list }}|{{ people | sort(attribute='age,name') | map(attribute='name') | list }}",
    "{{ words | min }}|{{ words | max }}|{{ nums | min }}|{{ nums | max }}|{{ people | max(attribute='age') }}|{{ empty | min }}",
    "{{ words | first }}|{{ words | last }}|{{ empty | first }}|{{ 'abc' | last }}|{{ d | first }}",
    "{{ nums | sum }}|{{ people | sum(attribute='age') }}|{{ floats | sum }}",
    "{{ words | length }}|{{ d | count }}|{{ 'abc' | length }}|{{ words | list | length }}",
    "{{ 3.7 | int }}|{{ '42' | int }}|{{ ' 42 ' | int }}|{{ '3.7' | int }}|{{ 'x' | int }}|{{ 'x' | int(7) }}|{{ '0x1A' | int(0, 16) }}|{{ '1e3' | int }}|{{ none | int }}|{{ true | int }}",
    "{{ '3.5' | float }}|{{ 'x' | float }}|{{ 4 | float }}|{{ none | float }}|{{ '1_000.5' | float }}",
    "{{ 2.5 | round }}|{{ 3.5 | round }}|{{ 2.675 | round(2) }}|{{ 7 | round }}|{{ 1234.5 | round(-2) }}|{{ 2.1 | round(0, 'ceil') }}|{{ 2.9 | round(0, 'floor') }}|{{ 2.12345 | round(2, 'ceil') }}",
    "{{ -3 | abs }}|{{ -2.5 | abs }}|{{ 'abc' | upper }}|{{ 'ABC' | lower }}|{{ 'hello WORLD' | capitalize }}|{{ \"it's a-b (c) [d]\" | title }}|{{ '  x  ' | trim }}|{{ '--x--' | trim('-') }}",
    "{{ text | replace('o', '0') }}|{{ text | replace('o', '0', 1) }}|{{ 123 | replace('2', 'x') }}",
    "{{ 'hello world foo bar' | truncate(9) }}|{{ 'hello world foo bar' | truncate(9, true) }}|{{ 'hello world foo bar' | truncate(12, end='!') }}|{{ 'hello world' | truncate(5, leeway=0) }}|{{ 'abcdefghijklmnopq' | truncate(10, false, '...', 0) }}",
    "{{ nums | select('odd') | list }}|{{ nums | reject('odd') | list }}|{{ nums | select('gt', 2) | list }}|{{ nums | select | list }}|{{ people | selectattr('age', 'equalto', 31) | map(attribute='name') | list }}|{{ people | rejectattr('age', 'lt', 30) | list | length }}",
    "{{ words | map('upper') | list }}|{{ nums | map('string') | join('-') }}|{{ people | map(attribute='missing', default='?') | list }}",
    "{{ words | select('equalto', 'beta') | list }}|{{ words | select('in', ['beta', 'gamma']) | list }}|{{ nums | select('divisibleby', 2) | list }}",
    "{{ words | batch(2) | list }}|{{ words | batch(2, 'x') | list }}|{{ words | slice(2) | list }}",
    "{{ d | dictsort }}|{{ d | dictsort(reverse=true) }}|{{ d | items | list }}|{{ {'b': 1, 'a': 2} | dictsort(by='value') }}",
    "{{ words | reverse | list }}|{{ 'abc' | reverse }}|{{ words | list }}|{{ 'ab' | list }}|{{ d | list }}",
    "{{ 'a b  c' | wordcount }}|{{ 'x' | center(5) }}|{{ 'a\\nb' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}|{{ '<b>x</b>  y' | striptags }}",
    "{{ '<a&\"\\'>' | e }}|{{ '<a>' | escape }}|{{ 5 | string }}|{{ none | string }}|{{ [1] | string }}",
    "{{ {'a': [1, 'x<'], 'b': none} | tojson }}|{{ 'q \"x\"' | tojson }}|{{ 'a b&c' | urlencode }}|{{ {'k': 'v w'} | urlencode }}",
    "{{ '%s-%s' | format('a', 'b') }}|{{ 'abc' | highlight }}|{{ words | most_frequent }}|{{ ['a', 'b', 'a', 'b', 'c'] | most_frequent }}|{{ empty | most_frequent }}",
    "{{ 'a' | default('b') }}|{{ '' | default('b') }}|{{ '' | default('b', true) }}|{{ none | d('z', true) }}|{{ 0 | default(5) }}",
    "{{ people | groupby('age') | list }}",
    "{{ 'one two three four five six' | wordwrap(10) }}",
    # tests
    "{{ 3 is odd }} {{ 3 is even }} {{ 6 is divisibleby 3 }} {{ none is none }} {{ 'a' is string }} {{ 1 is number }} {{ 1.0 is float }} {{ 1 is integer }} {{ true is boolean }} {{ false is false }} {{ d is mapping }} {{ words is sequence }} {{ words is iterable }} {{ 'A' is upper }} {{ 'a' is lower }} {{ 2 is in nums }} {{ 2 is eq 2 }} {{ 3 is gt 2 }} {{ range is callable }}",
    # statements
    "{% for w in words %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.cycle('a', 'b') }},{% endfor %}",
    "{% for w in words if w.startswith('b') %}{{ w }}{{ loop.length }}{% else %}none{% endfor %}|{% for x in empty %}x{% else %}empty{% endfor %}",
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for a, b in zip(words, nums) %}{{ a }}{{ b }}{% endfor %}",
    "{% for w in words %}{{ loop.previtem }}>{{ loop.nextitem }} {% endfor %}",
    "{% set ns = namespace(total=0, seen=[]) %}{% for n in nums %}{% set ns.total = ns.total + n %}{{ ns.seen.append(n) or '' }}{% endfor %}{{ ns.total }}{{ ns.seen }}",
    "{% set c = 0 %}{% for n in nums %}{% set c = c + n %}{% endfor %}{{ c }}",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = (3, 4) %}{% set x, y = t %}{{ x + y }}",
    "{% set block %}inner {{ label }}{% endset %}[{{ block }}]{% set up | upper %}shout{% endset %}{{ up }}{% filter upper %}f{{ label }}{% endfilter %}",
    "{% if label == 1 %}one{% elif label == 2 %}two{% else %}other{% endif %}|{{ 'y' if flag else 'n' }}|{{ 'y' if not flag }}|{{ ('y' if not flag) is defined }}",
    "{% with a = 1, b = label %}{{ a + b }}{% endwith %}{{ a }}",
    "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', '?') }} {{ greet(name='Cid') }}",
    "{% raw %}{{ not rendered }}{% endraw %}|{# comment #}|{{- '  trimmed  ' -}}|  {%- if true -%}  in  {%- endif -%}  |",
    "a\n{% if true %}\nb\n{% endif %}\nc\n",
    "{{ range(3) | list }}|{{ range(10)[2:5] }}|{{ range(5) | sum }}|{{ range(1, 10, 2) | list }}|{{ range(0) | list }}",
    "{{ dict(a=1) }}|{{ namespace(a=1).a }}|{{ zip([1, 2], 'ab') | list }}|{% set cy = cycler('a', 'b') %}{{ cy.next() }}{{ cy.next() }}{{ cy.next() }}|{% set j = joiner('+') %}{{ j() }}a{{ j() }}b",
    # randomness
    "{{ ['a', 'b', 'c', 'd'] | choice }}{{ ['w', 'x', 'y', 'z'] | choice }}",
    "{% if false %}{{ ['a', 'b', 'c'] | choice }}{% endif %}{{ ['x', 'y', 'z', 'w'] | choice }}",
    "{{ words | choice }}{{ ['a', 'b'] | choice }}",
    "{{ words | random }}{{ [1, 2, 3] | random }}{{ ['p', 'q'] | choice }}",
    "{% set opts = ['A', 'B', 'C', 'D'] | choice %}{{ opts }}{{ range(10) | list | choice }}{{ 'abcdef' | choice }}",
    "{{ (['ab', 'cd'] | choice) | choice }}{{ [['a'], ['b']] | choice }}",
    "{{ [] | choice }}",
    # truncation-style rewrites, as PromptSource's apply produces
    "{{ text | string | truncate(20) }}|{{ label * 2 | string | truncate(2048) }}|{{ none | string | truncate(2048) }}",
    "{{ label + 1 | string | truncate(2048) }}",
    # whitespace control and newline handling
    "x  {{- label -}}  y\n\n",
    "{% for i in range(3) -%}\n  {{ i }}\n{%- endfor %}",
    # edge semantics
    "a\r\nb{{ label }}\rc\n",
    "{{ 'a' if none }}|{{ words.0 }}|{{ 'abc'.1 }}|{{ (1, 2).1 }}|{{ '%s' % none }}|{{ '%s' % [1, 2] }}|{{ '%s' % (none,) }}",
    "{{ 0.1 * 3 }}|{{ 1e16 }}|{{ 123456789.0 }}|{{ 1e-5 }}|{{ 5 / 2 | int }}|{{ 2 ** 62 }}|{{ -2 ** 2 }}|{{ (-2) ** 2 }}",
    "{% set ns = namespace(a=1) %}{{ ns }}|{{ d | length }}|{{ text | wordcount }}|{{ words | map('length') | list }}|{{ nums | map('abs') | sum }}",
    "{{ 'a' in none }}",
    "{{ none | length }}",
    "{{ none | join }}",
    "{{ none | lower }}|{{ none[0] }}|{{ text[1.5] }}|{{ none.x is defined }}|{{ x is not defined }}",
    "{{ 5 | first }}",
    "{{ none[0].x }}",
    "{% for a in [1, 2] %}{% for b in 'xy' %}{{ loop.index }}/{{ loop.depth }}{{ b }};{% endfor %}{{ loop.index }}|{% endfor %}",
    "{% for a, b in [[1, 2], [3, 4]] %}{{ a * b }},{% endfor %}",
    "{% for a, b in [[1, 2, 3]] %}{{ a }}{% endfor %}",
    "{#- comment -#}  x  {#- c #}|{%+ if true %}y{% endif %}",
    "{{ -nums[0] | abs }}|{{ not 1 == 2 }}|{{ 1 if 0 else 2 if 0 else 3 }}|{{ [1, 2, 3][1:] | join(',') }}|{{ 'x' ~ none }}|{{ true + 1 }}|{{ 3 > 2.5 }}|{{ [] == [] }}",
    "{{ d == {'b': 2, 'a': 1, 'c': [1, 2]} }}|{{ d == {'a': 1} }}|{{ '%.2f' | format(2.345) }}|{{ text.split()[:3] | join(' ') }}",
    "{% for w in words if w.missing %}{{ w }}{% else %}no{% endfor %}|{% for k in d %}{{ k }}{% endfor %}|{% for c in 'hey' %}{{ c }}.{% endfor %}",
    "{% set x = [] %}{% if true %}{% set x = x + [1] %}{% endif %}{{ x }}|{% set y = 1 %}{% for i in range(3) %}{% set y = y + i %}{{ y }}{% endfor %}{{ y }}",
    "{{ answers.text | join(', ') }}|{{ answers.text[0] | upper }}|{{ answers['text'] | length }}|{{ answers.get('text') }}|{{ answers.text.index('no') }}",
    "{{ text | replace('\\n', ' ') }}|{{ multiline | replace('\\n', ' ') }}|{{ multiline.replace('\\r\\n', '/') }}",
    "{{ '{:.2f}'.format(2.345) }}|{{ '{:>5}|{:<5}|{:^5}'.format('a', 'b', 'c') }}|{{ '{0:d}'.format(5) }}",
    "{{ num_str | int + 1 }}|{{ float_str | float * 2 }}|{{ float_str | int }}|{{ (float_str | float) | round }}|{{ 7 / 2 | round }}",
    "{{ people[0].name }}|{{ people[0]['age'] }}|{{ people | map(attribute='age') | unique | list }}|{{ people | map(attribute='name') | map('lower') | sort | join(',') }}",
    "{{ people | selectattr('age', 'gt', 26) | list | length }}|{{ people | selectattr('name') | list | length }}|{{ [0, 1, '', 'a', none] | select | list }}",
    "{{ 'abc' | batch(2) | list }}|{{ range(7) | slice(3) | list }}|{{ range(7) | batch(3) | list }}",
    "{{ words | join(', ') | truncate(12) }}|{{ words | length > 3 }}|{{ (words | length) - 1 }}",
    "{{ [1, 2, 3] | random }}",
    "{{ flag and 'yes' or 'no' }}|{{ none or 'fallback' }}|{{ 0 and 1 }}|{{ [] or {} }}",
    "{{ 'x' | int(default=9) }}|{{ 'ff' | int(base=16) }}|{{ '12' | int(0, 8) }}",
    "{{ text | truncate(length=10, end='~') }}|{{ text | truncate(10, killwords=true) }}",
    "{{ words | unique | map('lower') | unique | list }}|{{ ['B', 'a', 'C'] | sort | join }}|{{ ['b', 'A'] | max }}|{{ [2, 10, 1] | sort(reverse=true) | first }}",
    "{{ words[1:3] }}|{{ words[-2:] }}|{{ words[:0] }}|{{ words[5:] }}|{{ words[::-2] }}|{{ unicode[::-1] }}|{{ text[-5:-1] }}",
    "{{ words | sort | list }}|{{ words | sort == words }}|{{ words is sameas words }}",
    "{{ floats }}|{{ floats | sum }}|{{ floats | max }}|{{ floats | map('round') | list }}|{{ floats[:3] | map('int') | list }}",
    "{{ label is even }}|{{ label is odd }}|{{ label is divisibleby(2) }}|{{ label is in [1, 2] }}|{{ label is number }}|{{ label is string }}",
    "{{ unicode | length }}|{{ unicode | upper }}|{{ unicode | title }}|{{ unicode.title() }}|{{ unicode | capitalize }}|{{ unicode.casefold() }}|{{ unicode.swapcase() }}",
    "{{ pipes }}|{{ pipes.split('|||') }}|{{ pipes | replace('|||', 'or') }}",
    "{{ 'x' * 0 }}|{{ [1] * -1 }}|{{ 'ab' * true }}",
    "{% set l = ['a', 'b'] %}{% set m = l %}{{ m.append('c') }}{{ l }}|{% set e = d.copy() %}{{ e.update(z=0) }}{{ d | length }}{{ e | length }}",
    "{{ d.items() | list }}|{{ d.keys() | first }}|{{ d.values() | list | last }}|{{ 'a' in d.keys() }}|{{ d.items() | length }}",
]


def main():
    print(json.dumps({"vars": VARS}, ensure_ascii=False))
    for source in CASES:
        random.seed(0)
        try:
            template = env.from_string(source)
            out = {"output": template.render(**VARS)}
        except Exception as exc:  # noqa: BLE001 - every exception is an outcome
            out = {"error": {"type": type(exc).__name__, "message": str(exc)}}
        print(json.dumps({"source": source, **out}, ensure_ascii=False))


if __name__ == "__main__":
    main()
