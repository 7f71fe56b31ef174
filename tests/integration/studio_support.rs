//! Test doubles for the studio's seams, shared by the studio tests
//! (`mod studio_support;`); each test uses part of it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use promptstudio::app::backend::{LoadError, SaveError, SplitRef, Workspace};
use promptstudio::app::{App, Effect, Event, Keymap, PreviewError, PreviewResult, Rendered};
use promptstudio::core::datum::{Datum, Row};
use promptstudio::core::template::{DatasetTemplates, Template};
use promptstudio::data::features::Feature;
use promptstudio::data::resolve::{Found, Origin};
use promptstudio::data::source::RowCount;
use promptstudio::data::SplitRows;

/// An in-memory workspace: files, rows, and a record of saves.
#[derive(Default)]
pub struct MemoryWorkspace {
    pub files: Mutex<Vec<DatasetTemplates>>,
    pub rows: Vec<Row>,
    pub saves: Mutex<Vec<DatasetTemplates>>,
    /// Paths whose next save must report a change on disk.
    pub changed_on_disk: Mutex<Vec<PathBuf>>,
}

pub struct MemoryRows {
    rows: Vec<Row>,
}

impl SplitRows for MemoryRows {
    fn row_count(&self) -> RowCount {
        RowCount::Exact(self.rows.len() as u64)
    }
    fn wait_for_row_count(&self) -> anyhow::Result<usize> {
        Ok(self.rows.len())
    }
    fn rows(&self, range: std::ops::Range<usize>) -> anyhow::Result<Vec<Row>> {
        let end = range.end.min(self.rows.len());
        Ok(self.rows[range.start.min(end)..end].to_vec())
    }
    fn features(&self) -> Vec<(String, Feature)> {
        vec![("label".into(), labels())]
    }
}

impl Workspace for MemoryWorkspace {
    fn discover(&self) -> (Vec<DatasetTemplates>, Vec<LoadError>) {
        (self.files.lock().unwrap().clone(), Vec::new())
    }
    fn reload(&self, path: &Path) -> Result<DatasetTemplates, LoadError> {
        self.files
            .lock()
            .unwrap()
            .iter()
            .find(|f| f.path == path)
            .cloned()
            .ok_or_else(|| LoadError {
                path: path.to_owned(),
                line: None,
                column: None,
                message: "not found".into(),
            })
    }
    fn exists(&self, path: &Path) -> bool {
        self.files.lock().unwrap().iter().any(|f| f.path == path)
    }
    fn save(&self, templates: &mut DatasetTemplates, overwrite: bool) -> Result<(), SaveError> {
        let mut changed = self.changed_on_disk.lock().unwrap();
        if !overwrite && changed.contains(&templates.path) {
            return Err(SaveError::ChangedOnDisk {
                path: templates.path.clone(),
            });
        }
        changed.retain(|p| *p != templates.path);
        // As on disk: what was written is what the file's fingerprint says.
        templates.fingerprint = Some(promptstudio::core::fsutil::Fingerprint::of(
            templates.to_yaml().as_bytes(),
            None,
        ));
        self.saves.lock().unwrap().push(templates.clone());
        let mut files = self.files.lock().unwrap();
        match files.iter_mut().find(|f| f.path == templates.path) {
            Some(file) => *file = templates.clone(),
            None => files.push(templates.clone()),
        }
        Ok(())
    }
    fn splits(&self, dataset: &str, _subset: Option<&str>) -> Vec<SplitRef> {
        if self.rows.is_empty() || dataset != "ag_news" {
            return Vec::new();
        }
        ["test", "train"]
            .iter()
            .map(|name| SplitRef {
                name: name.to_string(),
                found: Found {
                    dataset: dataset.into(),
                    subset: None,
                    split: name.to_string(),
                    origin: Origin::Workspace,
                    paths: vec![PathBuf::from(format!("/ws/data/ag_news/_/{name}.parquet"))],
                },
            })
            .collect()
    }
    fn open(&self, _split: &SplitRef) -> anyhow::Result<Arc<dyn SplitRows + Send + Sync>> {
        Ok(Arc::new(MemoryRows {
            rows: self.rows.clone(),
        }))
    }
    fn watch_roots(&self) -> Vec<(PathBuf, bool)> {
        Vec::new()
    }
}

pub fn labels() -> Feature {
    Feature::ClassLabel {
        names: vec![
            "World".into(),
            "Sports".into(),
            "Business".into(),
            "Sci/Tech".into(),
        ],
    }
}

pub fn template(name: &str, jinja: &str, choices: Option<&str>) -> Template {
    let mut template = Template::new(name);
    template.jinja = jinja.into();
    template.answer_choices = choices.map(Into::into);
    template.metadata.original_task = Some(true);
    template.metadata.metrics = vec!["Accuracy".into()];
    template.metadata.languages = vec!["en".into()];
    template
}

pub fn ag_news_row(text: &str, label: i64) -> Row {
    Row::new(vec![
        (Arc::from("text"), Datum::str(text)),
        (Arc::from("label"), Datum::Int(label)),
    ])
}

/// Two files (ag_news with rows, super_glue/rte without) and 3 rows.
pub fn workspace() -> Arc<MemoryWorkspace> {
    let mut ag_news =
        DatasetTemplates::new("/ws/templates/ag_news/templates.yaml", "ag_news", None);
    ag_news.templates = vec![
        template(
            "classify_question_first",
            "What label best describes this news article?\n{{text}} ||| {{answer_choices[label]}}",
            Some("World politics ||| Sports ||| Business ||| Science and technology"),
        ),
        template(
            "recommend",
            "Would you recommend the following article to a {{\"politician\"}}?\n{{text}} ||| {% if label == 0 %}Yes{% else %}No{% endif %}",
            Some("Yes ||| No"),
        ),
        template("which_section", "{{text}}\nWhich section of a newspaper would this article likely appear in? ||| {{answer_choices[label]}}", Some("World News ||| Sports ||| Business ||| Science and Technology")),
    ];
    let mut rte = DatasetTemplates::new(
        "/ws/templates/super_glue/rte/templates.yaml",
        "super_glue",
        Some("rte".into()),
    );
    rte.templates = vec![template(
        "GPT-3 style",
        "{{premise}}\nQuestion: {{hypothesis}} True or False? ||| {{ answer_choices[label] }}",
        Some("True ||| False"),
    )];
    Arc::new(MemoryWorkspace {
        files: Mutex::new(vec![ag_news, rte]),
        rows: vec![
            ag_news_row("Harbour Traders Win Back Their Losses (Wire) Wire - Dealers on the harbour exchange, long the gloomiest of market watchers, are buying again.", 2),
            ag_news_row("Olympics: Phelps wins again as the pool sees its fastest night yet.", 1),
            ag_news_row("", 3),
        ],
        ..MemoryWorkspace::default()
    })
}

pub fn app(workspace: Arc<MemoryWorkspace>) -> TestApp {
    TestApp::new(workspace)
}

/// The app with its filesystem work done at once: each [`Effect::Disk`] is
/// performed on the workspace (as the disk worker would) and its answer fed
/// back, so tests see the state after the answers. Other effects are
/// returned (or kept for [`TestApp::take_effects`]) as the app gave them.
pub struct TestApp {
    pub app: App,
    workspace: Arc<dyn Workspace>,
    kept: Vec<Effect>,
    /// Requests performed, for tests about the disk work itself.
    pub disk_requests: Vec<String>,
}

impl TestApp {
    pub fn new(workspace: Arc<dyn Workspace>) -> TestApp {
        let app = App::new(workspace.clone(), Keymap::defaults());
        let mut test = TestApp {
            app,
            workspace,
            kept: Vec::new(),
            disk_requests: Vec::new(),
        };
        let first = test.app.take_effects();
        test.kept = test.settle(first);
        test
    }

    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        let effects = self.app.update(event);
        self.settle(effects)
    }

    /// The effects of opening (and any not yet taken), disk work done.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        let mut effects = std::mem::take(&mut self.kept);
        let later = self.app.take_effects();
        effects.extend(self.settle(later));
        effects
    }

    /// The app as it stands, disk requests left unanswered (for tests of
    /// what happens while they are on their way).
    pub fn update_unsettled(&mut self, event: Event) -> Vec<Effect> {
        self.app.update(event)
    }

    pub fn settle(&mut self, effects: Vec<Effect>) -> Vec<Effect> {
        let mut queue: std::collections::VecDeque<Effect> = effects.into();
        let mut others = Vec::new();
        while let Some(effect) = queue.pop_front() {
            match effect {
                Effect::Disk(request) => {
                    self.disk_requests.push(format!("{request:?}"));
                    let answer = request.perform(&*self.workspace);
                    queue.extend(self.app.update(Event::Disk(answer)));
                }
                other => others.push(other),
            }
        }
        others
    }
}

impl std::ops::Deref for TestApp {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

impl std::ops::DerefMut for TestApp {
    fn deref_mut(&mut self) -> &mut App {
        &mut self.app
    }
}

/// What the engine would answer for the latest request, built by hand so
/// screen tests do not depend on the engine.
pub fn answer(app: &mut App, outcome: Result<Rendered, PreviewError>, row: Option<Row>) {
    let result = PreviewResult {
        generation: app.preview.generation,
        outcome,
        row,
        row_count: Some(3),
        counting: false,
        features: vec![("label".into(), labels())],
        elapsed: std::time::Duration::from_micros(420),
        fewshot: None,
    };
    app.update(promptstudio::app::Event::Preview(result));
}
