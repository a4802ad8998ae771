"""The TUI's BuildKit feature: Docker's builders and their cache mounts, shown, opened, pruned.

- `branch`: the sidebar with its BuildKit branch; it owns the load worker (list, then measure
  each mount on disk), its rows and messages, and posts `RowHighlighted` for the detail pane.
- `tree`: the branch's keys and the prune workers they start.
- `rows`: what each row carries and its label; `format`: kinds' colours.
- `view`: the detail pane for a builder, a cache mount or Docker's state (texts: `details`);
  `mount_view`: a cache mount opened like a local cache, in its own worker.
- `prune_screen`: the preview dialog that runs the confirmed prune and shows its result.
"""
