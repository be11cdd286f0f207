#!/usr/bin/env bash
# The exact row count of every table of the public schema, one "table<TAB>rows" line each,
# sorted by name: scripts/backup.sh records it, scripts/restore.sh compares against it.
#   scripts/table_counts.sh DATABASE_URL
set -euo pipefail
psql "$1" -X -tA -F $'\t' -c "
  SELECT table_name,
         (xpath('/row/n/text()',
                query_to_xml(format('SELECT count(*) AS n FROM %I.%I', table_schema, table_name),
                             false, true, '')))[1]::text::bigint
  FROM information_schema.tables
  WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
  ORDER BY table_name"
