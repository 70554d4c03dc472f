#!/bin/sh
# Back the database up: pg_dump, gzip, into $BACKUP_DIR; latest.sql.gz is the newest (a hard link).
set -eu
: "${DATABASE_URL:?DATABASE_URL is not set}"
: "${BACKUP_DIR:?BACKUP_DIR is not set}"
stamp=$(date -u +%Y%m%dT%H%M%S)
file="$BACKUP_DIR/app-$stamp.sql.gz"
pg_dump --no-owner "$DATABASE_URL" | gzip > "$file.tmp"
mv "$file.tmp" "$file"
ln -f "$file" "$BACKUP_DIR/latest.sql.gz"
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) backup ok $file $(stat -c %s "$file") bytes" >> "$BACKUP_DIR/backup.log"
