#!/usr/bin/env python3
"""Write tests/fixtures/py/*.jsonl: CPython 3.11's results for the Python
behaviours that src/core/py reproduces. The unit tests there replay every
line; nothing in the tests needs Python.

Run from the repository root with CPython 3.11:
    python3 scripts/gen_py_fixtures.py

Each line is one call: {"fn": name, "args": [...], "ok": result} or
{"fn": name, "args": [...], "err": [exception class, message]}.
"""
import json
import math
import struct
import sys

OUT = "tests/fixtures/py"


class Writer:
    def __init__(self, name):
        self.file = open(f"{OUT}/{name}.jsonl", "w", encoding="utf-8")
        self.count = 0

    def call(self, fn, args, thunk):
        try:
            line = {"fn": fn, "args": args, "ok": thunk()}
        except Exception as error:  # the exception is the expected result
            line = {"fn": fn, "args": args, "err": [type(error).__name__, str(error)]}
        self.file.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.count += 1


def bounds(s, fn, sub, start, end):
    method = getattr(s, fn)
    if start is None and end is None:
        return method(sub)
    return method(sub, 0 if start is None else start, end)


def strings():
    w = Writer("strings")
    texts = ["", "abc", "  a b\tc  ", "a,b,,c,", "héllo wörld héllo", "\u3000x\u2003y\x1cz\xa0",
             "aaaa", "ab\r\ncd\x0bef\u2028gh\n", "日本語のテキスト日本"]
    for s in texts:
        for sep in [None, ",", "a", " ", "llo", "日本", ""]:
            for maxsplit in [-1, 0, 1, 2]:
                w.call("split", [s, sep, maxsplit], lambda: s.split(sep, maxsplit))
                w.call("rsplit", [s, sep, maxsplit], lambda: s.rsplit(sep, maxsplit))
    for s in ["abcabc", "héllo héllo", "", "日本語日本"]:
        for sub in ["", "b", "llo", "日本", "abcabcabc"]:
            for start, end in [(None, None), (1, None), (-2, None), (None, -1), (2, 4), (6, None),
                               (7, None), (3, 2), (-100, 100)]:
                for fn in ["find", "rfind", "count", "startswith", "endswith"]:
                    w.call(fn, [s, sub, start, end], lambda: bounds(s, fn, sub, start, end))
            for start, end in [(None, None), (2, 4)]:
                for fn in ["index", "rindex"]:
                    w.call(fn, [s, sub, start, end], lambda: bounds(s, fn, sub, start, end))
    for s in ["  \t hi there \n", "\xa0\u2003x\u3000\x1c", "xxhixyx", "", "héé"]:
        for chars in [None, "x", "xy", "", " h", "é"]:
            for fn in ["strip", "lstrip", "rstrip"]:
                w.call(fn, [s, chars], lambda: getattr(s, fn)(chars))
    for s in ["abc", "", "aaa", "héllo"]:
        for old, new in [("", "-"), ("a", "xy"), ("aa", "b"), ("l", ""), ("é", "e")]:
            for count in [-1, 0, 1, 2, 10]:
                w.call("replace", [s, old, new, count], lambda: s.replace(old, new, count))
    for s in ["a=b=c", "abc", "", "日=本=語"]:
        for sep in ["=", "b", "x", "=b", ""]:
            w.call("partition", [s, sep], lambda: list(s.partition(sep)))
            w.call("rpartition", [s, sep], lambda: list(s.rpartition(sep)))
    for s in ["", "a", "a\n", "a\r\nb\rc\n\nd", "x\x0by\x0cz\x1c\x1d\x1e\x85\u2028\u2029w", "\n\n", "\r\n", "\r"]:
        for keepends in [False, True]:
            w.call("splitlines", [s, keepends], lambda: s.splitlines(keepends))
    for s in ["42", "-42", "+7", "", "-", "abc", "é"]:
        for width in [-1, 0, 1, 3, 6]:
            w.call("zfill", [s, width], lambda: s.zfill(width))
    for s in ["ab", "abc", "", "日本"]:
        for width in [-3, 0, 4, 5, 6, 7]:
            for fillchar in [" ", "é"]:
                for fn in ["center", "ljust", "rjust"]:
                    w.call(fn, [s, width, fillchar], lambda: getattr(s, fn)(width, fillchar))
    for s in ["a\tb\tc", "\t", "abcdefgh\tx", "ab\ncd\te\r\tf", "日本\tx"]:
        for tabsize in [-1, 0, 1, 4, 8]:
            w.call("expandtabs", [s, tabsize], lambda: s.expandtabs(tabsize))
    samples = ["", "abc", "ABC", "Abc", "aBc", "123", "١٢٣", "²", "½", "五", "abc123", "a b", " \t\n",
               "\xa0", "\x1f", "ǅ", "ǅa", "Hello World", "Hello world", "HELLO", "1A", "A1B", "ª", "ा",
               "é", "É", "ß", "ΣΑΣ", "they're", "X.Y", "\u0300", "a\u0300", "\u2167", "\U0001d7d8",
               "\u200b", "\ufeff", "\U0001f600"]
    for s in samples:
        for fn in ["isdigit", "isdecimal", "isnumeric", "isalpha", "isalnum", "isspace", "isupper",
                   "islower", "istitle", "isprintable"]:
            w.call(fn, [s], lambda: getattr(s, fn)())
    texts = ["hello WORLD", "they're bill's friends from the UK", "ß straße", "ﬁnance ﬂow",
             "ǆungla ǅx Ǆ", "ΑΣ ΑΣΑ Σ ΑΣ. aΣ'b ΑΣ\u0301", "İstanbul", "ŉ", "1st 2nd", "hello   world",
             "a-b_c d", "", "ÀB ǉ", "ᾈᾀ", "ǰ", "Ⓐⓑ", "αΣ\u0345", "ΣΑ", "Σ", "ꭰᏸ", "ǅǅ"]
    for s in texts:
        for fn in ["lower", "upper", "title", "capitalize", "swapcase", "casefold"]:
            w.call(fn, [s], lambda: getattr(s, fn)())
    for s in ["", "abc", "it's", 'say "hi"', "it's \"both\"", "back\\slash", "tab\tnl\nret\r",
              "\x00\x07\x1b\x7f", "\x80\x9f\xa0\xad", "é日本", "\u200b\u2028\ufeff", "\U0001f600",
              "\U000e0001", "\ud7ff\ue000", "\U0010ffff", "\u0378", "\u3000"]:
        w.call("repr", [s], lambda: repr(s))
        w.call("ascii", [s], lambda: ascii(s))
    return w.count


def float_bits(x):
    # JSON cannot carry every float (nan, inf, -0.0): pass the IEEE bits.
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def floats():
    w = Writer("float")
    values = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.5, 2.675, 100.0, 1e15, 1e16, 1.5e16, 9999999999999998.0,
              1234567890123456789.0, 1e22, 1e-4, 1e-5, 1.5e-7, 0.0001234, 123.456, 1 / 3, 2 / 3, 5e-324,
              2.2250738585072014e-308, 1.7976931348623157e308, math.pi, -math.e, 1e100, 123456.789e-300,
              float("inf"), float("-inf"), float("nan"), 0.3, 1.25, -2.5, 0.125, 1250.0, 1350.0, 149.9999,
              -0.4, 0.05, 0.15, 0.25, 0.35, 5.0, 15.5, 1e-10]
    for x in values:
        w.call("repr", [float_bits(x)], lambda: repr(x))
    for x in values:
        for ndigits in [0, 1, 2, 3, -1, -2, -3, 5, 15, 20, 323, 400, -308, -400]:
            w.call("round", [float_bits(x), ndigits], lambda: float_bits(round(x, ndigits)))
    for x in [0.0, -0.0, 1.0, 0.5, 2.5, 2.675, 100.0, 1e16, 1.5e-7, 0.0001234, 123.456, 1 / 3, 5e-324,
              1.7976931348623157e308, -math.e, 999999.5, 9.9999e-5, 0.00001, 1234567.0, 1e22,
              float("inf"), float("-inf"), float("nan"), 15.5, -1e-10]:
        for precision in [0, 2, 6, 17]:
            for conversion in "fegG":
                for flags in ["", "#"]:
                    spec = f"%{flags}.{precision}{conversion}"
                    w.call("format", [float_bits(x), spec], lambda: spec % x)
    for x in [0.5, 1.5, 2.5, -0.5, -2.5, 3.7, -3.7, 1e20, float("inf"), float("-inf"), float("nan"), -0.0]:
        w.call("round_int", [float_bits(x)], lambda: float_bits(float(round(x))))
    for s in ["1", " 1.5 ", "1_000.5", "1__0", "_1", "1_", "1_.5", "1._5", "1e1_0", "inf", "-Infinity",
              "+nan", "NaN", "1e3", "1E+3", ".5", "5.", ".", "", "  ", "e5", "1e", "0x10", "١٢٣",
              "\u2003-2.5\u3000", "1.5abc", "--1", "1e400", "-1e-400", "0.1", "12345678901234567890",
              "nan(1)", "in f", "1 000", "١_٢", "+-1", "infinity", "infinit", "-nan", "1.5e+-3", "٣.٥"]:
        w.call("parse_float", [s], lambda: float_bits(float(s)))
    for s in ["0", "42", "-42", " +7 ", "1_000", "1__0", "_1", "1_", "0x1f", "0X1F", "0o17", "0b101",
              "0x_1f", "010", "00", "0_0", "9223372036854775807", "-9223372036854775808",
              "9223372036854775808", "z", "Z", "zz", "١٢٣", "", " ", "1.5", "0b", "-0x10", "0xg", "++5", "0x+5", "99999999999999999999", "-0"]:
        for base in [10, 0, 16, 8, 2, 36, 1, 37]:
            def parse():
                value = int(s, base)
                if not -(2 ** 63) <= value < 2 ** 63:
                    raise OverflowError("Python int too large to convert to C long")
                return value
            w.call("parse_int", [s, base], parse)
    return w.count


def encode_arg(value):
    """A Python value as the fixture's tagged form of the Rust PyArg."""
    if value is None:
        return {"none": None}
    if isinstance(value, bool):
        return {"bool": value}
    if isinstance(value, int):
        return {"int": value}
    if isinstance(value, float):
        return {"float": float_bits(value)}
    if isinstance(value, str):
        return {"str": value}
    if isinstance(value, dict):
        return {"dict": [[k, encode_arg(v)] for k, v in value.items() if isinstance(k, str)],
                "str": str(value), "repr": repr(value)}
    return {"object": type(value).__name__, "str": str(value), "repr": repr(value),
            "subscriptable": hasattr(type(value), "__getitem__")}


def encode_args(args):
    if isinstance(args, tuple):
        return {"tuple": [encode_arg(v) for v in args]}
    return {"single": encode_arg(args)}


def percent():
    w = Writer("percent")
    inf, nan = float("inf"), float("nan")
    cases = [
        ("%s is %d%%", ("a", 5)), ("%d", ("x",)), ("%d", (None,)), ("%d", ([1],)), ("%f", ("x",)),
        ("%x", (1.5,)), ("%x", ("a",)), ("%c", ("ab",)), ("%c", (0x110000,)), ("%c", (-1,)), ("%c", (1.5,)),
        ("%d", (inf,)), ("%d", (nan,)), ("%d", (3.7,)), ("%d", (-3.7,)), ("%d", (-0.5,)), ("%d", (True,)),
        ("%s", (True,)), ("%f", (True,)), ("%r", (True,)), ("%s %s", ("a",)), ("%s", ("a", "b")),
        ("hello", ()), ("%", ("a",)), ("%y", (1,)), ("%(a)s", ("x",)), ("%(a", {"a": 1}),
        ("%(a)s", {"b": 1}), ("%(a)s %s", {"a": 1}), ("%s", {"a": 1}),
        ("%05.1f|%-6d|%+d|% d|%#x|%#o|%#X|%.3d|%x", (3.14159, 42, 5, 5, 255, 8, 255, 5, -255)),
        ("%010f", (inf,)), ("%010f", (-inf,)), ("%-+08.2e", (-1234.5,)), ("%*d|%-*d|%.*f", (5, 3, 4, 2, 2, 3.14159)),
        ("%f", (-nan,)), ("%+f", (nan,)), ("%5s|%-5s|%.2s", ("ab", "ab", "abc")), ("%a", ("é",)),
        ("%a", (["é"],)), ("%i %u", (3, 4)), ("%ld %hd %Lf", (1, 2, 3.0)), ("%c%c", (65, "é")),
        ("%.0f %.0f", (0.5, 1.5)), ("%g %g %g %G", (1e-5, 123456789, 0.0001, 1e20)), ("%08.3f", (-3.14159,)),
        ("%+08d", (42,)), ("% 05d", (42,)), ("%#.0f %#.0e", (1.0, 1.0)), ("%-05d|", (42,)), ("%s", (None,)),
        ("%r", ("it's",)), ("%s", ([1, "a"],)), ("%(x)s %(x)r", {"x": "q"}), ("%%%s", ("z",)), ("%5%|", ()),
        ("%5%|", (1,)), ("%s", ((),)), ("%d", ("5",)), ("%o", (-8,)), ("%#o", (0,)), ("%#x", (0,)), ("%e", ("x",)),
        ("%c", (None,)), ("%(a)d", {"a": "x"}), ("%*d", ("x", 1)), ("%.*f", (1.5, 1.0)), ("%s %s", ["a", "b"]),
        ("abc", [1]), ("abc", 5), ("abc", "x"), ("%s", 5), ("%s%s", 5), ("%(a)s%(b)s", {"a": 1, "b": 2}),
        ("% +d", (5,)), ("%0-5d|", (5,)), ("%3c|", (65,)), ("%.1c", (65,)), ("%.0c", (65,)), ("%.2r", ("abc",)),
        ("%#s", ("a",)), ("%#d", (5,)), ("%.3x", (5,)), ("%#.3x", (5,)), ("%-#8.3x|", (5,)), ("%08.2f", (inf,)),
        ("%x", (-(2 ** 63),)), ("%d", (-(2 ** 63),)), ("%.40f", (1.0,)), ("%d", (1e30,)), ("%(a)*d", {"a": 1}),
        ("%*", (5,)), ("%.", (1,)), ("%s %", (1,)), ("%z", ()), ("%z", (1,)), ("é%é", (1,)), ("%\x01", (1,)),
        ("%(a)s%%", {"a": 1}), ("%((a))s", {"(a)": 2}), ("%+s", ("a",)), ("% 5.1f|%-+8.2f|", (2.25, 2.5)),
        ("%+.3g", (0.0,)), ("%c", (0x10FFFF,)), ("%(a)s", {"a": 1, "b": 2}), ("%*s", (-5, "x")),
        ("%#08x", (255,)), ("%-#8x|", (255,)), ("%+#x", (255,)), ("%05s", ("ab",)), ("%05c", (65,)),
        ("%c", (True,)), ("%(a)s", [1]), ("%s", (1.0,)), ("%r", (1e16,)), ("%x", (True,)), ("%.2c", ("é",)),
        ("%s|%r|%a", ("日本\n", "日本\n", "日本\n")), ("%.1s|%5.1s", ("日本", "日本")), ("%6s|%-6s|", ("日本", "日本")),
        ("%s", (-0.0,)), ("%d", (-0.0,)), ("%.3e|%.3E|%G", (123456.0, 0.000123, 1e-10)), ("%#g|%#.3g", (1.0, 100.0)),
        ("%i", ("x",)), ("%u", (None,)), ("%X", (2.0,)), ("%o", ({"a": 1},)), ("%f", ({"a": 1},)),
        ("%s and %s", ("x", {"k": [1, 2]})), ("%.*s", (2, "abcdef")), ("%.*s", (-2, "abc")), ("%*.*f|", (8, 2, 3.14159)),
        ("%(a)s %(b)s", {"a": "x"}), ("%(a)s %(a)s", {"a": "x"}), ("%()s", {"": "empty"}),
    ]
    for fmt, args in cases:
        w.call("percent", [fmt, encode_args(args)], lambda: fmt % args)
    return w.count


def main():
    if sys.version_info[:2] != (3, 11):
        sys.exit("run this with CPython 3.11")
    print("strings:", strings())
    print("float:", floats())
    print("percent:", percent())


main()
