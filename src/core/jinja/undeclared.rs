//! Jinja2's `meta.find_undeclared_variables`: the names a template resolves
//! from its context. Follows Jinja2's symbol tracking: at a frame's top level
//! a name read before it is set counts; a name set in only some branches of
//! an `if` counts; nested frames (loop bodies, macros) see every name their
//! enclosing frames set.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use super::ast::*;

/// PromptSource's environment globals: never reported.
const GLOBALS: &[&str] = &[
    "range",
    "dict",
    "lipsum",
    "cycler",
    "joiner",
    "namespace",
    "zip",
];

/// A nested frame waiting for its parent to be complete: the names it
/// declares on entry, its statements and its expressions.
type Deferred<'a> = (Vec<NameId>, Vec<&'a [Stmt]>, Vec<&'a Expr>);

struct Frame<'a> {
    declared: HashSet<NameId>,
    /// Nested frames, analysed once this frame is complete.
    deferred: Vec<Deferred<'a>>,
}

struct Finder<'a> {
    names: &'a [Arc<str>],
    found: BTreeSet<String>,
}

pub(crate) fn find(body: &[Stmt], names: &[Arc<str>]) -> Vec<String> {
    let mut finder = Finder {
        names,
        found: BTreeSet::new(),
    };
    finder.frame(&[], vec![body], Vec::new(), &HashSet::new());
    finder.found.into_iter().collect()
}

fn target_names(target: &Target, out: &mut Vec<NameId>) {
    match target {
        Target::Name(id) => out.push(*id),
        Target::Tuple(items) => items.iter().for_each(|t| target_names(t, out)),
        Target::NamespaceAttr(..) => {}
    }
}

impl<'a> Finder<'a> {
    fn frame(
        &mut self,
        params: &[NameId],
        bodies: Vec<&'a [Stmt]>,
        exprs: Vec<&'a Expr>,
        parent: &HashSet<NameId>,
    ) {
        let mut frame = Frame {
            declared: params.iter().copied().collect(),
            deferred: Vec::new(),
        };
        for e in exprs {
            self.expr(e, &mut frame, parent);
        }
        for body in bodies {
            self.body(body, &mut frame, parent);
        }
        let mut visible = parent.clone();
        visible.extend(frame.declared.iter().copied());
        for (params, bodies, exprs) in std::mem::take(&mut frame.deferred) {
            self.frame(&params, bodies, exprs, &visible);
        }
    }

    fn load(&mut self, id: NameId, frame: &mut Frame<'a>, parent: &HashSet<NameId>) {
        if frame.declared.contains(&id) || parent.contains(&id) {
            return;
        }
        let name = &self.names[id as usize];
        if !GLOBALS.contains(&name.as_ref()) {
            self.found.insert(name.to_string());
        }
        frame.declared.insert(id);
    }

    fn store(&mut self, target: &Target, frame: &mut Frame<'a>, parent: &HashSet<NameId>) {
        match target {
            Target::NamespaceAttr(ns, _) => self.load(*ns, frame, parent),
            other => {
                let mut ids = Vec::new();
                target_names(other, &mut ids);
                frame.declared.extend(ids);
            }
        }
    }

    fn body(&mut self, body: &'a [Stmt], frame: &mut Frame<'a>, parent: &HashSet<NameId>) {
        for stmt in body {
            self.stmt(stmt, frame, parent);
        }
    }

    fn stmt(&mut self, stmt: &'a Stmt, frame: &mut Frame<'a>, parent: &HashSet<NameId>) {
        match &stmt.kind {
            StmtKind::Data(_) | StmtKind::LoopControl(_) => {}
            StmtKind::Output(e) => self.expr(e, frame, parent),
            StmtKind::If {
                test,
                body,
                elifs,
                otherwise,
            } => {
                self.expr(test, frame, parent);
                // Each branch starts from the same symbols; names set in
                // every branch are set afterwards, names set in only some
                // are resolved from the context.
                let before = frame.declared.clone();
                let mut branch_sets = Vec::new();
                let mut run = |finder: &mut Self,
                               frame: &mut Frame<'a>,
                               test: Option<&'a Expr>,
                               body: &'a [Stmt]| {
                    frame.declared = before.clone();
                    if let Some(test) = test {
                        finder.expr(test, frame, parent);
                    }
                    finder.body(body, frame, parent);
                    branch_sets.push(std::mem::take(&mut frame.declared));
                };
                run(self, frame, None, body);
                for (test, body) in elifs {
                    run(self, frame, Some(test), body);
                }
                run(self, frame, None, otherwise);
                let mut after = before.clone();
                let all: HashSet<NameId> = branch_sets.iter().flatten().copied().collect();
                for id in all {
                    if before.contains(&id) {
                        continue;
                    }
                    if !branch_sets.iter().all(|set| set.contains(&id)) && !parent.contains(&id) {
                        let name = &self.names[id as usize];
                        if !GLOBALS.contains(&name.as_ref()) {
                            self.found.insert(name.to_string());
                        }
                    }
                    after.insert(id);
                }
                frame.declared = after;
            }
            StmtKind::For {
                target,
                iter,
                body,
                otherwise,
                filter,
                ..
            } => {
                self.expr(iter, frame, parent);
                let mut params = Vec::new();
                target_names(target, &mut params);
                let mut loop_params = params.clone();
                loop_params.extend(
                    self.names
                        .iter()
                        .position(|n| n.as_ref() == "loop")
                        .map(|i| i as NameId),
                );
                frame
                    .deferred
                    .push((loop_params, vec![body.as_slice()], Vec::new()));
                frame
                    .deferred
                    .push((params, Vec::new(), filter.iter().collect()));
                frame
                    .deferred
                    .push((Vec::new(), vec![otherwise.as_slice()], Vec::new()));
            }
            StmtKind::Assign { target, value } => {
                self.expr(value, frame, parent);
                self.store(target, frame, parent);
            }
            StmtKind::AssignBlock {
                target,
                filter,
                body,
            } => {
                frame
                    .deferred
                    .push((Vec::new(), vec![body.as_slice()], Vec::new()));
                if let Some(filter) = filter {
                    self.expr(filter, frame, parent);
                }
                self.store(target, frame, parent);
            }
            StmtKind::With { assignments, body } => {
                let mut params = Vec::new();
                for (target, value) in assignments {
                    self.expr(value, frame, parent);
                    target_names(target, &mut params);
                }
                frame
                    .deferred
                    .push((params, vec![body.as_slice()], Vec::new()));
            }
            StmtKind::FilterBlock { filter, body } => {
                self.expr(filter, frame, parent);
                frame
                    .deferred
                    .push((Vec::new(), vec![body.as_slice()], Vec::new()));
            }
            StmtKind::Macro(def) => {
                frame.declared.insert(def.name);
                self.macro_frame(def, frame);
            }
            StmtKind::CallBlock { call, caller } => {
                self.expr(call, frame, parent);
                self.macro_frame(caller, frame);
            }
        }
    }

    fn macro_frame(&mut self, def: &'a MacroDef, frame: &mut Frame<'a>) {
        let mut params = def.params.clone();
        for special in ["caller", "varargs", "kwargs"] {
            params.extend(
                self.names
                    .iter()
                    .position(|n| n.as_ref() == special)
                    .map(|i| i as NameId),
            );
        }
        frame.deferred.push((
            params,
            vec![def.body.as_slice()],
            def.defaults.iter().collect(),
        ));
    }

    fn args(&mut self, args: &'a Args, frame: &mut Frame<'a>, parent: &HashSet<NameId>) {
        for e in args.exprs() {
            self.expr(e, frame, parent);
        }
    }

    fn expr(&mut self, expr: &'a Expr, frame: &mut Frame<'a>, parent: &HashSet<NameId>) {
        match &expr.kind {
            ExprKind::Const(_) => {}
            ExprKind::Name(id) => self.load(*id, frame, parent),
            ExprKind::List(items) | ExprKind::Tuple(items) | ExprKind::Concat(items) => {
                items.iter().for_each(|e| self.expr(e, frame, parent))
            }
            ExprKind::Dict(pairs) => pairs.iter().for_each(|(k, v)| {
                self.expr(k, frame, parent);
                self.expr(v, frame, parent);
            }),
            ExprKind::GetAttr(obj, _) | ExprKind::Unary(_, obj) => self.expr(obj, frame, parent),
            ExprKind::GetItem(a, b)
            | ExprKind::Binary(_, a, b)
            | ExprKind::And(a, b)
            | ExprKind::Or(a, b) => {
                self.expr(a, frame, parent);
                self.expr(b, frame, parent);
            }
            ExprKind::Slice(a, b, c) => {
                for e in [a, b, c].into_iter().flatten() {
                    self.expr(e, frame, parent);
                }
            }
            ExprKind::Compare(first, rest) => {
                self.expr(first, frame, parent);
                rest.iter().for_each(|(_, e)| self.expr(e, frame, parent));
            }
            ExprKind::Cond {
                test,
                then,
                otherwise,
            } => {
                self.expr(test, frame, parent);
                self.expr(then, frame, parent);
                if let Some(e) = otherwise {
                    self.expr(e, frame, parent);
                }
            }
            ExprKind::Filter { input, args, .. } => {
                if let Some(input) = input {
                    self.expr(input, frame, parent);
                }
                self.args(args, frame, parent);
            }
            ExprKind::Test { input, args, .. } => {
                self.expr(input, frame, parent);
                self.args(args, frame, parent);
            }
            ExprKind::Call { callee, args } => {
                self.expr(callee, frame, parent);
                self.args(args, frame, parent);
            }
            ExprKind::Drawn { fallback, .. } => self.expr(fallback, frame, parent),
        }
    }
}
