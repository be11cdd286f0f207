# syntax=docker/dockerfile:1
# service_ops production image: gunicorn (web), Celery worker and Celery beat all run from it
# (see docker-compose.yml). Static assets come from npm at build time, never from a CDN at run time.

# --- stage 1: front-end packages and the statement PDF font from package.json / package-lock.json -
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json* ./
# (--omit=dev: axe-core is for the browser tests only)
RUN if [ -f package-lock.json ]; then npm ci --omit=dev --no-audit --no-fund --loglevel=error; \
    else npm install --omit=dev --no-audit --no-fund --loglevel=error; fi \
    # the statement PDF embeds the regular weight only: the other eight (~80 MB) stay out
    && find node_modules/@expo-google-fonts/noto-sans-sc -name '*.ttf' \
       ! -name 'NotoSansSC_400Regular.ttf' -delete

# --- stage 2: the application -------------------------------------------------------------------
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # the source tree in /app wins over the copy `pip install .` puts in site-packages, so
    # settings.BASE_DIR (templates/, node_modules/, var/) is /app for gunicorn, celery and manage.py
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=service_ops.settings \
    DEBUG=0 \
    STATIC_ROOT=/app/var/static

RUN groupadd --system --gid 1000 app \
    && useradd --system --uid 1000 --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app
COPY . .
COPY --from=assets /build/node_modules ./node_modules
RUN pip install . \
    && rm -rf build ./*.egg-info \
    # collectstatic only reads settings: a throwaway key, never used at run time
    && SECRET_KEY=collectstatic-only-build-time-key python manage.py collectstatic --noinput -v 0 \
    && mkdir -p var/media \
    && chown -R app:app var

USER app
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:8000/readyz', headers={'Host': 'localhost'}), timeout=4)"

CMD ["gunicorn", "service_ops.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
