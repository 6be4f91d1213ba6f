"""Pages of the annotation app; each has ``render(workspace, user)``."""
