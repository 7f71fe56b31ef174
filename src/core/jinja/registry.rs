//! The built-in filters, tests and globals by name: one table each, from
//! which the compiler's "does it exist" checks, the folder's "does it need
//! the render" and the evaluator's dispatch are all read (as minijinja's
//! `defaults.rs` names its `filters.rs`). Filters and tests that call others
//! by name (`map`, `select`) reach them through [`State::call_filter`] and
//! [`State::call_test`], so no file of the engine imports this one back.

use std::rc::Rc;

use super::chat_env;
use super::error::{ErrorKind, Exc};
use super::filters::{map_select, numbers, promptsource, sequences, strings};
use super::state::{CallArgs, State, R};
use super::value::{Func, Value};
use super::{globals, lipsum, predicates, Mode};
use crate::core::py::strings::str_repr;

pub(crate) type FilterFn = fn(&mut State<'_>, Value, CallArgs) -> R<Value>;
/// A test gets the name it was called by, which its `TypeError`s show.
pub(crate) type TestFn = fn(&mut State<'_>, &str, &Value, CallArgs) -> R<bool>;
pub(crate) type GlobalFn = fn(&mut State<'_>, CallArgs) -> R<Value>;

/// The environments a built-in belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Envs {
    Both,
    PromptSource,
    Chat,
}

impl Envs {
    fn has(self, mode: Mode) -> bool {
        match self {
            Envs::Both => true,
            Envs::PromptSource => mode == Mode::PromptSource,
            Envs::Chat => mode == Mode::ChatTemplate,
        }
    }
}

pub(crate) struct Filter {
    pub name: &'static str,
    pub func: FilterFn,
    /// Jinja2 never folds these at compile time: they take the render's
    /// context (its generator, or other filters and tests by name).
    pub needs_context: bool,
    envs: Envs,
}

const fn filter(name: &'static str, func: FilterFn) -> Filter {
    Filter {
        name,
        func,
        needs_context: false,
        envs: Envs::Both,
    }
}

const fn context_filter(name: &'static str, func: FilterFn) -> Filter {
    Filter {
        needs_context: true,
        ..filter(name, func)
    }
}

const fn only(envs: Envs, filter: Filter) -> Filter {
    Filter { envs, ..filter }
}

/// Looked up in order: `string` and `truncate` first, since PromptSource's
/// rewrite ends every `{{ }}` of a template with them.
static FILTERS: &[Filter] = &[
    filter("string", strings::do_string),
    filter("truncate", strings::do_truncate),
    filter("abs", numbers::do_abs),
    filter("attr", numbers::do_attr),
    filter("batch", sequences::do_batch),
    filter("capitalize", strings::do_capitalize),
    filter("center", strings::do_center),
    filter("count", sequences::do_length),
    filter("d", numbers::do_default),
    filter("default", numbers::do_default),
    filter("dictsort", sequences::do_dictsort),
    filter("e", strings::do_escape),
    filter("escape", strings::do_escape),
    filter("filesizeformat", strings::do_filesizeformat),
    filter("first", sequences::do_first),
    filter("float", numbers::do_float),
    filter("forceescape", strings::do_escape),
    filter("format", strings::do_format),
    filter("groupby", sequences::do_groupby),
    filter("indent", strings::do_indent),
    filter("int", numbers::do_int),
    filter("items", sequences::do_items),
    filter("join", sequences::do_join),
    filter("last", sequences::do_last),
    filter("length", sequences::do_length),
    filter("list", sequences::do_list),
    filter("lower", strings::do_lower),
    context_filter("map", map_select::do_map),
    filter("max", sequences::do_max),
    filter("min", sequences::do_min),
    filter("pprint", strings::do_pprint),
    context_filter("random", promptsource::do_random),
    context_filter("reject", map_select::do_reject),
    context_filter("rejectattr", map_select::do_rejectattr),
    filter("replace", strings::do_replace),
    filter("reverse", sequences::do_reverse),
    filter("round", numbers::do_round),
    filter("safe", strings::do_safe),
    context_filter("select", map_select::do_select),
    context_filter("selectattr", map_select::do_selectattr),
    filter("slice", sequences::do_slice),
    filter("sort", sequences::do_sort),
    filter("striptags", strings::do_striptags),
    filter("sum", sequences::do_sum),
    filter("title", strings::do_title),
    only(Envs::PromptSource, filter("tojson", strings::do_tojson)),
    // transformers' own: `json.dumps` with its keyword arguments.
    only(Envs::Chat, filter("tojson", chat_env::tojson)),
    filter("trim", strings::do_trim),
    filter("unique", sequences::do_unique),
    filter("upper", strings::do_upper),
    filter("urlencode", strings::do_urlencode),
    filter("wordcount", strings::do_wordcount),
    filter("wordwrap", strings::do_wordwrap),
    filter("xmlattr", strings::do_xmlattr),
    only(
        Envs::PromptSource,
        filter("choice", promptsource::do_choice),
    ),
    only(
        Envs::PromptSource,
        filter("most_frequent", promptsource::do_most_frequent),
    ),
    only(
        Envs::PromptSource,
        filter("highlight", promptsource::do_highlight),
    ),
];

pub(crate) struct Test {
    pub name: &'static str,
    pub func: TestFn,
}

const fn test(name: &'static str, func: TestFn) -> Test {
    Test { name, func }
}

static TESTS: &[Test] = &[
    test("odd", predicates::odd),
    test("even", predicates::even),
    test("divisibleby", predicates::divisibleby),
    test("defined", predicates::defined),
    test("undefined", predicates::undefined),
    test("filter", is_filter),
    test("test", is_test),
    test("none", predicates::none),
    test("boolean", predicates::boolean),
    test("false", predicates::false_),
    test("true", predicates::true_),
    test("integer", predicates::integer),
    test("float", predicates::float),
    test("lower", predicates::lower),
    test("upper", predicates::upper),
    test("string", predicates::string),
    test("mapping", predicates::mapping),
    test("number", predicates::number),
    test("sequence", predicates::sequence),
    test("iterable", predicates::iterable),
    test("callable", predicates::callable),
    test("sameas", predicates::sameas),
    test("escaped", predicates::escaped),
    test("in", predicates::in_),
    test("==", predicates::eq),
    test("eq", predicates::eq),
    test("equalto", predicates::eq),
    test("!=", predicates::ne),
    test("ne", predicates::ne),
    test(">", predicates::gt),
    test("gt", predicates::gt),
    test("greaterthan", predicates::gt),
    test(">=", predicates::ge),
    test("ge", predicates::ge),
    test("<", predicates::lt),
    test("lt", predicates::lt),
    test("lessthan", predicates::lt),
    test("<=", predicates::le),
    test("le", predicates::le),
];

pub(crate) struct Global {
    pub name: &'static str,
    pub func: GlobalFn,
    envs: Envs,
}

const fn global(name: &'static str, func: GlobalFn, envs: Envs) -> Global {
    Global { name, func, envs }
}

static GLOBALS: &[Global] = &[
    global("range", globals::range, Envs::Both),
    global("zip", globals::zip, Envs::PromptSource),
    global("namespace", globals::namespace, Envs::Both),
    global("dict", globals::dict, Envs::Both),
    global("lipsum", lipsum::lipsum, Envs::Both),
    global("cycler", globals::cycler, Envs::Both),
    global("joiner", globals::joiner, Envs::Both),
    global("raise_exception", chat_env::raise_exception, Envs::Chat),
    global("strftime_now", chat_env::strftime_now, Envs::Chat),
];

/// The filter `name` means in `mode`.
fn find_filter(mode: Mode, name: &str) -> Option<&'static Filter> {
    FILTERS
        .iter()
        .find(|filter| filter.name == name && filter.envs.has(mode))
}

/// Whether a filter of this name exists in either environment (what the
/// compiler checks; a filter of the other environment fails when applied).
pub(crate) fn filter_exists(name: &str) -> bool {
    FILTERS.iter().any(|filter| filter.name == name)
}

pub(crate) fn filter_needs_context(name: &str) -> bool {
    FILTERS
        .iter()
        .any(|filter| filter.name == name && filter.needs_context)
}

pub(crate) fn test_exists(name: &str) -> bool {
    TESTS.iter().any(|test| test.name == name)
}

/// The global `name` of `mode`, as a value.
pub(crate) fn global_value(mode: Mode, name: &str) -> Option<Value> {
    GLOBALS
        .iter()
        .find(|global| global.name == name && global.envs.has(mode))
        .map(|global| Value::Func(Rc::new(Func::Global(global.name))))
}

fn is_filter(_state: &mut State<'_>, _called: &str, value: &Value, _args: CallArgs) -> R<bool> {
    Ok(filter_exists(&value.to_str()))
}

fn is_test(_state: &mut State<'_>, _called: &str, value: &Value, _args: CallArgs) -> R<bool> {
    Ok(test_exists(&value.to_str()))
}

impl State<'_> {
    /// Whether a filter of this name exists (see [`filter_exists`]).
    pub(crate) fn has_filter(&self, name: &str) -> bool {
        filter_exists(name)
    }

    /// Applies filter `name`.
    pub(crate) fn call_filter(&mut self, name: &str, input: Value, args: CallArgs) -> R<Value> {
        if self.folding && filter_needs_context(name) {
            return Err(Exc::runtime("filter needs the render context"));
        }
        self.burn(1)?;
        match find_filter(self.program.mode, name) {
            Some(filter) => (filter.func)(self, input, args),
            None => Err(Exc::new(
                ErrorKind::Runtime,
                format!("No filter named {} found.", str_repr(name)),
            )),
        }
    }

    /// Applies test `name` to `value`.
    pub(crate) fn call_test(&mut self, name: &str, value: &Value, args: CallArgs) -> R<bool> {
        self.burn(1)?;
        match TESTS.iter().find(|test| test.name == name) {
            Some(test) => (test.func)(self, name, value, args),
            None => Err(Exc::new(
                ErrorKind::Runtime,
                format!("No test named {} found.", str_repr(name)),
            )),
        }
    }

    /// Calls the global `name` (a `Func::Global` this table made).
    pub(crate) fn call_global(&mut self, name: &str, args: CallArgs) -> R<Value> {
        match GLOBALS.iter().find(|global| global.name == name) {
            Some(global) => (global.func)(self, args),
            None => Err(Exc::runtime(format!("unknown global {name}"))),
        }
    }
}
