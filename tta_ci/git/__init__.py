"""Every git call of tta-ci: reads through GitPython (``repo``), and the git command line for
worktrees, snapshots, commits and pushes (``cli``). One error mapping: ``GitError``."""
