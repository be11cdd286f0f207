"""The platform's reports: the /reports/ index of every app's declared reports (plugin.py
`reports`), background Excel exports with progress (ExportJob, run by Celery or, in the embedded
shape, by the in-process sweeper) and reports mailed on a schedule."""
