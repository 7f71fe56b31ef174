//! PromptSource's `Template.apply` semantics.
