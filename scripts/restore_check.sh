#!/usr/bin/env bash
# The restore, tried: a demo database on PostgreSQL with a few uploaded files is backed up with
# scripts/backup.sh, restored with scripts/restore.sh into another database and directory, the
# row counts compared, and the restored copy opened through the application (/readyz, a list page
# and an attachment download). Cleans up after itself.
#
#   make restore-check          (PG_URL=postgres://postgres@127.0.0.1:5432 by default)
set -euo pipefail

PY=${PY:-.venv/bin/python}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
src_db=so_restore_check_src_$$
dst_db=so_restore_check_dst_$$
work=$(mktemp -d)
cleanup() {
  psql "$PG_URL/postgres" -qXc "DROP DATABASE IF EXISTS $src_db" -c "DROP DATABASE IF EXISTS $dst_db" || true
  rm -rf "$work"
}
trap cleanup EXIT

psql "$PG_URL/postgres" -qXc "CREATE DATABASE $src_db" -c "CREATE DATABASE $dst_db"
export DEBUG=1 ALLOWED_HOSTS=localhost
src_env=(DATABASE_URL="$PG_URL/$src_db" MEDIA_ROOT="$work/media")
env "${src_env[@]}" "$PY" manage.py migrate --noinput -v0
env "${src_env[@]}" "$PY" manage.py load_demo > /dev/null
env "${src_env[@]}" "$PY" manage.py shell -v0 -c "
from django.core.files.base import ContentFile
from repairs.models import ReturnApplication, ReturnAttachment
for i, app in enumerate(ReturnApplication.objects.order_by('pk')[:3]):
    a = ReturnAttachment(application=app, uploaded_by=app.applicant)
    a.file.save(f'scan-{i}.pdf', ContentFile(b'%PDF-1.4\n' + bytes(2000 * i)), save=True)
"
DATABASE_URL="$PG_URL/$src_db" MEDIA_ROOT="$work/media" scripts/backup.sh "$work/backup"
scripts/restore.sh "$work/backup" "$PG_URL/$dst_db" "$work/restored-media"
diff -r "$work/media" "$work/restored-media"
DATABASE_URL="$PG_URL/$dst_db" MEDIA_ROOT="$work/restored-media" "$PY" manage.py shell -v0 -c "
from django.test import Client
from django.urls import reverse
from repairs.models import ReturnAttachment
a = ReturnAttachment.objects.order_by('pk').last()
c = Client(HTTP_HOST='localhost')
assert c.get('/readyz').status_code == 200
c.force_login(a.application.applicant)
assert c.get('/repairs/returns/').status_code == 200
r = c.get(reverse('repairs:attachment_download', args=[a.application_id, a.pk]))
body = b''.join(r.streaming_content) if r.streaming else r.content
assert r.status_code == 200 and len(body) == a.file.size, (r.status_code, len(body))
print('restored copy: /readyz 200, the list page 200, an attachment of', len(body), 'bytes back')
"
echo "restore check: OK"
