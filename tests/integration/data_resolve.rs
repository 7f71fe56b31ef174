//! Finding datasets by name in a workspace, the Hub cache and the `datasets`
//! cache, each laid out as the real tools lay them out.

use crate::corpus;

use std::path::{Path, PathBuf};

use promptstudio::core::datum::Datum;
use promptstudio::data::resolve::{Origin, Resolver};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data")
}

fn corpus() -> Option<PathBuf> {
    corpus::conformance("data")
}

fn resolver(root: &Path) -> Resolver {
    Resolver {
        workspace: root.join("workspace"),
        hub_cache: root.join("hub"),
        datasets_cache: root.join("datasets"),
    }
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().expect("parent")).expect("folder");
    std::fs::copy(from, to).expect("copied");
}

/// A Hub cache repo as hf-hub and huggingface_hub write it: blobs, a
/// snapshot of relative symlinks, and a ref naming the snapshot.
fn hub_repo(hub: &Path, dataset: &str, revision: &str, files: &[(&str, &Path)]) {
    let repo = hub.join(format!("datasets--{}", dataset.replace('/', "--")));
    let commit = format!("{:040x}", revision.len());
    for (index, (name, source)) in files.iter().enumerate() {
        let blob = repo
            .join("blobs")
            .join(format!("blob{index}{}", revision.len()));
        copy(source, &blob);
        let link = repo.join("snapshots").join(&commit).join(name);
        std::fs::create_dir_all(link.parent().expect("parent")).expect("folder");
        let depth = Path::new(name).components().count() + 1;
        let target = Path::new(&"../".repeat(depth))
            .join("blobs")
            .join(blob.file_name().expect("name"));
        std::os::unix::fs::symlink(target, &link).expect("symlink");
    }
    let reference = repo.join("refs").join(revision);
    std::fs::create_dir_all(reference.parent().expect("parent")).expect("folder");
    std::fs::write(reference, &commit).expect("ref");
}

#[test]
fn the_corpus_is_a_workspace() {
    let Some(corpus) = corpus() else { return };
    let resolver = Resolver {
        workspace: corpus.clone(),
        hub_cache: PathBuf::from("/nonexistent/hub"),
        datasets_cache: PathBuf::from("/nonexistent/datasets"),
    };
    let found = resolver.resolve("super_glue/rte", None).expect("found");
    assert_eq!(found.origin, Origin::Workspace);
    assert_eq!(found.split, "validation");
    assert_eq!(found.subset.as_deref(), Some("rte"));
    let test = resolver
        .resolve("super_glue/rte", Some("test"))
        .expect("test split");
    assert!(test.paths[0].ends_with("data/super_glue/rte/test.parquet"));
    // A hub user dataset: the slash belongs to the name.
    let user = resolver.resolve("Zaid/quac_expanded", None).expect("found");
    assert_eq!(user.dataset, "Zaid/quac_expanded");
    assert_eq!(user.subset, None);
    let rows = user.open().expect("opens").rows(0..2).expect("rows");
    assert_eq!(rows.len(), 2);
    let error = resolver
        .resolve("super_glue/rte", Some("nope"))
        .expect_err("unknown split");
    assert!(error.to_string().contains("validation"), "{error}");
}

#[test]
fn the_hub_cache_gives_a_repos_own_files_then_its_parquet_conversion() {
    let root = tempfile::tempdir().expect("temp");
    let shards = fixtures().join("shards");
    hub_repo(
        &root.path().join("hub"),
        "org/own",
        "main",
        &[
            (
                "data/train-00000-of-00002.parquet",
                &shards.join("train-00000-of-00003.parquet"),
            ),
            (
                "data/train-00001-of-00002.parquet",
                &shards.join("train-00001-of-00003.parquet"),
            ),
            (
                "data/test-00000-of-00001.parquet",
                &shards.join("train-00002-of-00003.parquet"),
            ),
            ("README.md", &fixtures().join("sample.tsv")),
        ],
    );
    hub_repo(
        &root.path().join("hub"),
        "scripted",
        "refs/convert/parquet",
        &[
            (
                "plain_text/train/0000.parquet",
                &fixtures().join("features.parquet"),
            ),
            (
                "plain_text/validation/0000.parquet",
                &fixtures().join("features.parquet"),
            ),
            (
                "other/train/0000.parquet",
                &shards.join("train-00000-of-00003.parquet"),
            ),
        ],
    );
    let resolver = resolver(root.path());

    let found = resolver.resolve("org/own", None).expect("own files");
    assert_eq!(found.origin, Origin::HubCache);
    assert_eq!(found.split, "train");
    assert_eq!(found.paths.len(), 2);
    let source = found.open().expect("opens");
    assert_eq!(source.wait_for_row_count().expect("count"), 8);
    assert_eq!(source.row(5).expect("row").get("n"), Some(&Datum::Int(5)));

    let splits: Vec<String> = resolver
        .splits("scripted/plain_text")
        .into_iter()
        .map(|found| found.split)
        .collect();
    assert_eq!(splits, ["train", "validation"]);
    let found = resolver
        .resolve("scripted/plain_text", None)
        .expect("converted");
    assert_eq!(found.split, "validation");
    let other = resolver
        .resolve("scripted/other", Some("train"))
        .expect("other config");
    assert_eq!(
        other
            .open()
            .expect("opens")
            .wait_for_row_count()
            .expect("count"),
        4
    );
    // Two configurations and none asked for: ambiguous, so not found.
    assert!(resolver.resolve("scripted", None).is_err());
}

#[test]
fn the_datasets_cache_gives_arrow_files() {
    let Some(corpus) = corpus() else { return };
    let root = tempfile::tempdir().expect("temp");
    let saved = corpus.join("hf-arrow/ag_news/_");
    let build = root.path().join("datasets/ag_news/default/0.0.0/0123abcd");
    copy(
        &saved.join("test/data-00000-of-00001.arrow"),
        &build.join("ag_news-test.arrow"),
    );
    copy(
        &saved.join("train/data-00000-of-00001.arrow"),
        &build.join("ag_news-train-00000-of-00001.arrow"),
    );
    copy(
        &saved.join("test/dataset_info.json"),
        &build.join("dataset_info.json"),
    );
    let resolver = resolver(root.path());
    let found = resolver.resolve("ag_news", None).expect("found");
    assert_eq!(found.origin, Origin::DatasetsCache);
    assert_eq!(found.split, "train");
    let source = resolver
        .resolve("ag_news", Some("test"))
        .expect("test split")
        .open()
        .expect("opens");
    let label = source.schema().column("label").expect("label");
    assert!(
        label.feature.is_some(),
        "features come from dataset_info.json"
    );
    assert!(source.row(0).is_ok());
}

#[test]
fn a_missing_dataset_says_where_it_looked() {
    let root = tempfile::tempdir().expect("temp");
    let error = resolver(root.path())
        .resolve("nowhere", None)
        .expect_err("missing");
    let message = error.to_string();
    assert!(
        message.contains("nowhere") && message.contains("fetch"),
        "{message}"
    );
    assert!(
        message.contains(&root.path().join("hub").display().to_string()),
        "{message}"
    );
}
