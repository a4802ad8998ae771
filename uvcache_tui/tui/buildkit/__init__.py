"""The TUI's BuildKit feature: Docker's builders and their cache mounts, shown and pruned.

- `tree`: the sidebar with its BuildKit branch; it owns the list/plan workers, its rows and
  its keys, and posts `RowHighlighted` for the screen's detail pane.
- `rows`: what each row carries and its label; `format`: sizes, times and kinds.
- `view`: the detail pane for a builder, a cache mount or Docker's state.
- `prune_screen`: the preview dialog that runs the confirmed prune and shows its result.
"""
