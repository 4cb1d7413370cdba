"""GitHub: the event that started the job, and the REST API (PyGithub) behind one factory."""
