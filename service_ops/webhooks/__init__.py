"""Signed webhooks for partners (issue 16 item 1).

A partner (dealer or service point) registers an endpoint: a URL and a secret generated here.
Every state change of a declared source (plugins.WebhookSource, e.g. a return application the
dealer filed) writes one WebhookDelivery row per subscribed endpoint in the transaction of the
change (the outbox); Celery sends it after commit, signed with HMAC-SHA256 over the timestamp and
the body, and retries with back-off until it is delivered or dead. An endpoint whose deliveries
keep dying is disabled and its partner's staff are told.

Modules: models (the two tables), signing (the header scheme), events (from run_transition to
rows), services (register / rotate / send / resend / disable), transport (one HTTP POST), tasks,
api (the partner API), views (the staff pages)."""
