//! Every command the studio understands, as one enum.
//!
//! The doc comment of each variant is its user-facing description: the
//! `actions!` macro below keeps it as data, so the keymap file, the help overlay
//! and the status-bar hints all read the same text and never drift.

macro_rules! actions {
    ($( $(#[doc = $doc:literal])+ $variant:ident = $name:literal, )+) => {
        /// A command bound to a key. Text typed into the editor or a prompt
        /// is not an action: it arrives as [`crate::app::Event::Key`]
        /// with no binding, or as [`crate::app::Event::Paste`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $( $(#[doc = $doc])+ $variant, )+
        }

        impl Action {
            /// Every action, in declaration order (the help overlay's order).
            pub const ALL: &'static [Action] = &[$(Action::$variant),+];

            /// The name used in keymap files, e.g. `"next_row"`.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name,)+ }
            }

            /// The one-line description shown in the help and status bar.
            pub fn description(self) -> &'static str {
                match self { $(Action::$variant => actions!(@first $($doc)+),)+ }
            }

            /// Looks an action up by its keymap name.
            pub fn from_name(name: &str) -> Option<Action> {
                match name { $($name => Some(Action::$variant),)+ _ => None }
            }
        }
    };
    (@first $first:literal $($rest:literal)*) => { $first.trim_ascii() };
}

actions! {
    /// Quit (asks first when there is unsaved work)
    Quit = "quit",
    /// Show or hide this help
    Help = "help",
    /// Move focus to the next pane
    FocusNext = "focus_next",
    /// Move focus to the previous pane
    FocusPrev = "focus_prev",
    /// Focus the catalog
    FocusCatalog = "focus_catalog",
    /// Focus the template editor
    FocusEditor = "focus_editor",
    /// Focus the metadata form
    FocusMetadata = "focus_metadata",
    /// Focus the preview
    FocusPreview = "focus_preview",
    /// Zoom the focused pane to the whole screen, or back
    ToggleZoom = "toggle_zoom",
    /// Save the current templates file
    Save = "save",
    /// Open or close the batch view (current prompt over a page of rows)
    BatchView = "batch_view",
    /// Open or close the catalog statistics
    CatalogStats = "catalog_stats",
    /// Turn mouse capture on or off
    ToggleMouse = "toggle_mouse",
    /// Copy the rendered prompt to the clipboard (OSC 52)
    CopyPrompt = "copy_prompt",
    /// Show the prompt as the model reads it, or back
    ChatView = "chat_view",
    /// Pick the model from the Hugging Face cache
    PickModel = "pick_model",
    /// Next row
    NextRow = "next_row",
    /// Previous row
    PrevRow = "prev_row",
    /// First row
    FirstRow = "first_row",
    /// Last row
    LastRow = "last_row",
    /// Go to a row by number
    GotoRow = "goto_row",
    /// Jump to a random row
    RandomRow = "random_row",
    /// Switch to the next split
    NextSplit = "next_split",
    /// Draw a new random seed for templates that use `choice`/`random`
    Reroll = "reroll",
    /// Type a fixed seed
    SetSeed = "set_seed",
    /// Few-shot: cycle K = 0..5 solved rows before the input
    CycleFewshot = "cycle_fewshot",
    /// Create a new prompt (new UUID)
    NewPrompt = "new_prompt",
    /// Duplicate the selected prompt
    DuplicatePrompt = "duplicate_prompt",
    /// Rename the selected prompt
    RenamePrompt = "rename_prompt",
    /// Delete the selected prompt (asks first)
    DeletePrompt = "delete_prompt",
    /// Move up
    Up = "up",
    /// Move down
    Down = "down",
    /// Move left
    Left = "left",
    /// Move right
    Right = "right",
    /// One word left
    WordLeft = "word_left",
    /// One word right
    WordRight = "word_right",
    /// Start of line
    LineStart = "line_start",
    /// End of line
    LineEnd = "line_end",
    /// Page up
    PageUp = "page_up",
    /// Page down
    PageDown = "page_down",
    /// Go to the top
    Top = "top",
    /// Go to the bottom
    Bottom = "bottom",
    /// Open, edit or confirm the selected item
    Select = "select",
    /// Toggle the selected item
    Toggle = "toggle",
    /// Close the overlay, clear the filter or cancel
    Cancel = "cancel",
    /// Filter the list (fuzzy)
    Filter = "filter",
    /// Insert a line break
    Newline = "newline",
    /// Delete the character before the cursor
    Backspace = "backspace",
    /// Delete the character under the cursor
    Delete = "delete",
    /// Insert two spaces
    Indent = "indent",
    /// Undo
    Undo = "undo",
    /// Redo
    Redo = "redo",
    /// Search in the template
    Search = "search",
    /// Find the next search match
    SearchNext = "search_next",
    /// Jump to the template error's location
    GotoError = "goto_error",
    /// Extend the selection left
    SelectLeft = "select_left",
    /// Extend the selection right
    SelectRight = "select_right",
    /// Extend the selection up
    SelectUp = "select_up",
    /// Extend the selection down
    SelectDown = "select_down",
    /// Extend the selection to the line start
    SelectLineStart = "select_line_start",
    /// Extend the selection to the line end
    SelectLineEnd = "select_line_end",
    /// Select the whole template
    SelectAll = "select_all",
    /// Copy the selection to the clipboard (OSC 52)
    CopySelection = "copy_selection",
    /// Cut the selection to the clipboard (OSC 52)
    CutSelection = "cut_selection",
    /// Paste the last text copied or cut in the studio
    PasteRegister = "paste_register",
    /// Delete to the start of the line (in one-line prompts)
    DeleteToLineStart = "delete_to_line_start",
    /// Delete the word before the cursor (in one-line prompts)
    DeleteWordBack = "delete_word_back",
    /// Run the model on the preview's row (score the answer choices, or generate)
    ModelRun = "model_run",
    /// Run the model on every row change, or only when asked
    ModelAuto = "model_auto",
    /// Evaluate the prompt with the model on the first rows of the split
    ModelBatch = "model_batch",
    /// Select the next row the model got wrong (enter opens it)
    NextWrongRow = "next_wrong_row",
    /// Open or close the prompted dataset (every prompt on the current row)
    PromptedView = "prompted_view",
    /// Open or close the dataset card and features
    DatasetCard = "dataset_card",
}

impl Action {
    /// Moves the editor's (or a list's) cursor without changing text.
    pub fn is_motion(self) -> bool {
        matches!(
            self,
            Action::Up
                | Action::Down
                | Action::Left
                | Action::Right
                | Action::WordLeft
                | Action::WordRight
                | Action::LineStart
                | Action::LineEnd
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom
        )
    }

    /// Makes or uses the editor's selection.
    pub fn is_selection(self) -> bool {
        matches!(
            self,
            Action::SelectLeft
                | Action::SelectRight
                | Action::SelectUp
                | Action::SelectDown
                | Action::SelectLineStart
                | Action::SelectLineEnd
                | Action::SelectAll
                | Action::CopySelection
                | Action::CutSelection
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for &action in Action::ALL {
            assert!(seen.insert(action.name()), "duplicate {}", action.name());
            assert_eq!(Action::from_name(action.name()), Some(action));
            assert!(!action.description().is_empty());
        }
        assert_eq!(Action::from_name("no_such_action"), None);
    }

    #[test]
    fn description_comes_from_the_doc_comment() {
        assert_eq!(Action::NextRow.description(), "Next row");
    }
}
