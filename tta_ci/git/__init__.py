"""Every git call of tta-ci: reads through GitPython (``repo``), and the git command line for
archives, the commit publisher's worktree, snapshots, commits and pushes (``cli``). One error
mapping: ``GitError``."""
