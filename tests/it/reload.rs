//! Reloading the live engine: edits go in, bad edits never take the bot down, and an edit
//! that would silence a red flag is refused.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use backcare::live::{Live, ReloadError};
use backcare::reply::Reply;
use backcare::Engine;

/// A writable copy of the repository's knowledge folder, and an index folder.
struct Copy {
    _dir: tempfile::TempDir,
    knowledge: PathBuf,
    index: PathBuf,
}

fn copy_knowledge() -> Copy {
    let dir = tempfile::tempdir().unwrap();
    let knowledge = dir.path().join("knowledge");
    fs::create_dir(&knowledge).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    for entry in fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, knowledge.join(path.file_name().unwrap())).unwrap();
    }
    let index = dir.path().join("index");
    Copy {
        _dir: dir,
        knowledge,
        index,
    }
}

fn live(copy: &Copy) -> Live {
    let (engine, _) = Engine::open(&copy.knowledge, &copy.index).unwrap();
    Live::new(engine, &copy.knowledge, &copy.index)
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from}");
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn section_id(engine: &Engine, question: &str) -> String {
    engine.ask(question).section.expect("an answer").id
}

fn section_title(engine: &Engine, question: &str) -> String {
    match engine.ask(question).reply {
        Reply::Section(a) => a.title,
        other => panic!("not an answer: {other:?}"),
    }
}

#[test]
fn an_edit_is_swapped_in_and_reported_while_old_answers_finish_on_the_old_engine() {
    let copy = copy_knowledge();
    let live = live(&copy);
    let before = live.current();
    edit(
        &copy.knowledge.join("lower-back.md"),
        "## Seated side bend {#seated-side-bend .technique}",
        "## Chair side bend {#seated-side-bend .technique}",
    );
    let reloaded = live.reload().unwrap();
    assert_eq!(reloaded.changes.sections_changed, ["seated-side-bend"]);
    assert!(reloaded.changes.sections_added.is_empty());
    let question = "how do I do the side bend on my chair";
    assert_eq!(section_title(&live.current(), question), "Chair side bend");
    // A question that started before the swap keeps the engine it started with.
    assert_eq!(section_title(&before, question), "Seated side bend");
}

#[test]
fn moving_sections_down_the_file_is_not_a_change_but_a_new_example_is() {
    let copy = copy_knowledge();
    let live = live(&copy);
    let guide = copy.knowledge.join("lower-back.md");
    // A blank line above the first section moves every section's lines.
    edit(&guide, "\n## ", "\n\n## ");
    let reloaded = live.reload().unwrap();
    assert!(reloaded.changes.is_empty(), "{}", reloaded.changes);
    edit(
        &guide,
        "Examples:\n",
        "Examples:\n- how do i get my back to pop after a long drive\n",
    );
    let reloaded = live.reload().unwrap();
    assert_eq!(reloaded.changes.sections_changed.len(), 1);
}

#[test]
fn a_broken_edit_keeps_the_last_good_knowledge_and_names_the_line() {
    let copy = copy_knowledge();
    let live = live(&copy);
    edit(
        &copy.knowledge.join("lower-back.md"),
        ".technique}",
        ".stretchy}",
    );
    let err = live.reload().unwrap_err();
    let ReloadError::Invalid(problems) = &err else {
        panic!("{err}")
    };
    assert!(
        problems[0].to_string().starts_with("lower-back.md:"),
        "{err}"
    );
    assert!(err.to_string().contains("unknown kind `.stretchy`"));
    let answer = live.current().ask("how do I do the knee to chest twist");
    assert_eq!(answer.section.unwrap().id, "knee-to-chest");
    assert!(live.current().ask("my foot went numb").triage.is_red_flag());
}

#[test]
fn an_unreadable_knowledge_folder_keeps_the_old_knowledge() {
    let copy = copy_knowledge();
    let live = live(&copy);
    fs::rename(&copy.knowledge, copy.knowledge.with_extension("moved")).unwrap();
    assert!(live.reload().is_err());
    assert!(live
        .current()
        .ask("numbness in my groin")
        .triage
        .is_red_flag());
}

#[test]
fn an_edit_that_silences_a_red_flag_question_is_refused() {
    let copy = copy_knowledge();
    let questions = copy.knowledge.join("questions.toml");
    let mut text = fs::read_to_string(&questions).unwrap();
    text.push_str("\n[[question]]\ntext = \"my zorbly toes feel weird\"\nexpect = \"seek_care\"\ntier = \"urgent\"\n");
    fs::write(&questions, text).unwrap();
    let flags = copy.knowledge.join("red-flags.toml");
    let mut text = fs::read_to_string(&flags).unwrap().replacen(
        "[groups]\n",
        "[groups]\nzorbly_toes = [\"zorbly toes\"]\n",
        1,
    );
    text.push_str("\n[[flags]]\nid = \"zorbly-toes\"\ntier = \"urgent\"\nnoticed = \"zorbly toes\"\nrules = [\"zorbly_toes\"]\n");
    fs::write(&flags, &text).unwrap();
    let live = live(&copy);
    assert!(live
        .current()
        .ask("my zorbly toes feel weird")
        .triage
        .is_red_flag());

    fs::write(
        &flags,
        text.replace(
            "zorbly_toes = [\"zorbly toes\"]",
            "zorbly_toes = [\"florbly toes\"]",
        ),
    )
    .unwrap();
    let err = live.reload().unwrap_err();
    assert!(matches!(err, ReloadError::LostRedFlags(_)), "{err}");
    assert!(err.to_string().contains("zorbly toes"), "{err}");
    assert!(live
        .current()
        .ask("my zorbly toes feel weird")
        .triage
        .is_red_flag());
}

#[test]
fn failing_regression_questions_are_reported_but_do_not_block_a_fix() {
    let copy = copy_knowledge();
    let live = live(&copy);
    let questions = copy.knowledge.join("questions.toml");
    let mut text = fs::read_to_string(&questions).unwrap();
    text.push_str("\n[[question]]\ntext = \"how do I do the bridge\"\nexpect = \"warm-up\"\n");
    fs::write(&questions, text).unwrap();
    let reloaded = live.reload().unwrap();
    assert_eq!(reloaded.failures.len(), 1);
    assert!(reloaded.failures[0]
        .to_string()
        .contains("expected section `warm-up`, got section `bridge-release`"));
}

#[test]
fn the_index_folder_deleted_under_a_running_engine_is_rebuilt_on_reload() {
    let copy = copy_knowledge();
    let live = live(&copy);
    fs::remove_dir_all(&copy.index).unwrap();
    // The running engine still answers from the files it has open.
    assert_eq!(
        section_id(&live.current(), "how do I do the bridge"),
        "bridge-release"
    );
    live.reload().unwrap();
    assert!(copy.index.join("CURRENT").exists());
    assert_eq!(
        section_id(&live.current(), "how do I do the bridge"),
        "bridge-release"
    );
}

#[tokio::test]
async fn the_watcher_reports_a_saved_edit() {
    let copy = copy_knowledge();
    let (_watcher, mut changes) =
        backcare::watch::watch(&copy.knowledge, Duration::from_millis(100)).unwrap();
    edit(
        &copy.knowledge.join("lower-back.md"),
        "Seated side bend",
        "Chair side bend",
    );
    tokio::time::timeout(Duration::from_secs(10), changes.recv())
        .await
        .expect("a change within 10 s")
        .expect("the watcher is running");
}

#[test]
fn processes_sharing_the_index_folder_report_each_state_of_the_knowledge_once() {
    let copy = copy_knowledge();
    // Two engines on the same folders stand for two processes: each takes the folder lock
    // through its own file handle, as another process would.
    let (first, second) = (live(&copy), live(&copy));
    let reports = || {
        [&first, &second]
            .iter()
            .filter(|live| live.first_to_report())
            .count()
    };
    let guide = copy.knowledge.join("lower-back.md");
    edit(&guide, "Seated side bend", "Chair side bend");
    first.reload().unwrap();
    second.reload().unwrap();
    assert_eq!(reports(), 1, "one report for the edit");
    assert_eq!(
        reports(),
        0,
        "the same files reloaded again are not reported again"
    );
    edit(&guide, "Chair side bend", "Seated side bend");
    second.reload().unwrap();
    first.reload().unwrap();
    assert_eq!(reports(), 1, "going back to earlier files is a new edit");
    assert_eq!(
        section_title(&first.current(), "how do I do the side bend on my chair"),
        section_title(&second.current(), "how do I do the side bend on my chair"),
    );
}

#[test]
fn engines_reloading_one_edit_at_once_on_a_shared_index_folder_all_go_live() {
    let copy = copy_knowledge();
    let lives: Vec<Live> = (0..4).map(|_| live(&copy)).collect();
    edit(
        &copy.knowledge.join("lower-back.md"),
        "## Seated side bend {#seated-side-bend .technique}",
        "## Chair side bend {#seated-side-bend .technique}",
    );
    std::thread::scope(|scope| {
        for live in &lives {
            scope.spawn(|| live.reload().expect("the reload goes live"));
        }
    });
    for live in &lives {
        assert_eq!(
            section_title(&live.current(), "how do I do the side bend on my chair"),
            "Chair side bend"
        );
    }
}

/// The index on disk is keyed to the documents it holds: an edit of `red-flags.toml` or
/// `words.toml` keeps it, an edit of a guide builds it again.
#[test]
fn only_a_guide_edit_builds_the_index_on_disk_again() {
    use backcare::search::Opened;
    let copy = copy_knowledge();
    let open = || Engine::open(&copy.knowledge, &copy.index).unwrap().1;
    assert_eq!(open(), Opened::Built);
    assert_eq!(open(), Opened::Reused);
    edit(
        &copy.knowledge.join("red-flags.toml"),
        "[groups]\n",
        "[groups]\nnot_used_yet = [\"zorbled\"]\n",
    );
    edit(
        &copy.knowledge.join("words.toml"),
        "[everyday]\n",
        "[everyday]\nzorbing = \"knee to chest\"\n",
    );
    assert_eq!(
        open(),
        Opened::Reused,
        "red flags and words are not in the index"
    );
    edit(
        &copy.knowledge.join("lower-back.md"),
        "## Seated side bend {#seated-side-bend .technique}",
        "## Seated side lean {#seated-side-bend .technique}",
    );
    assert_eq!(open(), Opened::Built, "a guide is");
    let (engine, _) = Engine::open(&copy.knowledge, &copy.index).unwrap();
    assert_eq!(
        section_title(&engine, "how do i do the seated side bend"),
        "Seated side lean"
    );
}
