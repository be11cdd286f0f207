#!/usr/bin/env bash
# Back up the database and the uploaded files of service_ops (README.md "Backup and restore").
#
#   DATABASE_URL=postgres://user:pass@host:5432/service_ops MEDIA_ROOT=var/media \
#     scripts/backup.sh [BACKUP_DIR]
#
# Writes BACKUP_DIR (default backups/<UTC time>) with:
#   db.dump         pg_dump custom format (compressed; pg_restore can restore it selectively)
#   media.tar.gz    the MEDIA_ROOT tree (attachments, scanned forms, signed quotes)
#   counts.tsv      the row count of every table at dump time (restore.sh compares against it)
#   SHA256SUMS      checksums of the three files
# The dump is one consistent snapshot (pg_dump runs in one transaction); files uploaded while it
# runs may be in the tarball without their row, never the other way round if the tarball is
# taken after the dump — which is the order here.
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL (postgres://…)}"
MEDIA_ROOT=${MEDIA_ROOT:-var/media}
dest=${1:-backups/$(date -u +%Y%m%dT%H%M%SZ)}

mkdir -p "$dest"
here=$(cd "$(dirname "$0")" && pwd)

started=$(date +%s%N)
pg_dump --format=custom --no-owner --no-privileges --file "$dest/db.dump" "$DATABASE_URL"
"$here/table_counts.sh" "$DATABASE_URL" > "$dest/counts.tsv"
if [ -d "$MEDIA_ROOT" ]; then
  tar -C "$MEDIA_ROOT" -czf "$dest/media.tar.gz" .
else
  echo "backup: no media directory at $MEDIA_ROOT: an empty tarball" >&2
  tar -czf "$dest/media.tar.gz" --files-from /dev/null
fi
(cd "$dest" && sha256sum db.dump media.tar.gz counts.tsv > SHA256SUMS)
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))

echo "backup: $dest"
echo "  database: $(du -h "$dest/db.dump" | cut -f1), $(wc -l < "$dest/counts.tsv") tables," \
     "$(awk -F'\t' '{s += $2} END {print s}' "$dest/counts.tsv") rows"
echo "  media:    $(du -h "$dest/media.tar.gz" | cut -f1)," \
     "$(tar -tzf "$dest/media.tar.gz" | grep -vc '/$') files"
echo "  took:     $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s"
