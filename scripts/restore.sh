#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a FRESH database and a media directory.
#
#   scripts/restore.sh BACKUP_DIR TARGET_DATABASE_URL TARGET_MEDIA_ROOT
#
# - checks the checksums first;
# - refuses a target database that already has tables (create it empty: `createdb NAME`, or
#   drop and recreate it after stopping web, worker and beat);
# - pg_restore --exit-on-error --no-owner --single-transaction: all or nothing;
# - unpacks the media tarball into TARGET_MEDIA_ROOT (which must be empty or absent);
# - compares the row count of every table with the counts taken at backup time, and exits 1 on a
#   difference.
# Then run `python manage.py migrate` (a no-op on the same release) and start the processes;
# /readyz says when they are ready.
set -euo pipefail

if [ $# -ne 3 ]; then
  sed -n '2,15p' "$0"
  exit 2
fi
src=$1
target=$2
media=$3
here=$(cd "$(dirname "$0")" && pwd)

(cd "$src" && sha256sum --quiet --check SHA256SUMS)

tables=$(psql "$target" -tAc \
  "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
if [ "$tables" != "0" ]; then
  echo "restore: the target database already has $tables tables; restore into an empty one" >&2
  exit 1
fi
if [ -d "$media" ] && [ -n "$(ls -A "$media")" ]; then
  echo "restore: $media is not empty" >&2
  exit 1
fi

started=$(date +%s%N)
pg_restore --exit-on-error --no-owner --no-privileges --single-transaction \
  --dbname "$target" "$src/db.dump"
mkdir -p "$media"
tar -C "$media" -xzf "$src/media.tar.gz"
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))

"$here/table_counts.sh" "$target" > "$src/counts.restored.tsv"
if ! diff -u "$src/counts.tsv" "$src/counts.restored.tsv"; then
  echo "restore: row counts differ (above)" >&2
  exit 1
fi
echo "restore: $(wc -l < "$src/counts.tsv") tables," \
     "$(awk -F'\t' '{s += $2} END {print s}' "$src/counts.tsv") rows, same counts as at backup;" \
     "$(find "$media" -type f | wc -l) media files"
echo "  took:    $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s"
