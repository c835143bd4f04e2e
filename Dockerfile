# Dreambot on a GPU host. The official TensorFlow GPU image brings TensorFlow with CUDA,
# so the CPU-only wheel pinned in requirements.txt is left out here.
FROM tensorflow/tensorflow:2.20.0-gpu

# The image's layout: weights cache, the database on the /data volume, and the health
# endpoint the HEALTHCHECK below asks (these override config.yaml).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DREAMBOT_CACHE=/opt/dreambot/cache \
    DREAMBOT_STORE_PATH=/data/dreambot.db \
    DREAMBOT_HTTP_PORT=8080

WORKDIR /app
COPY requirements.txt ./
RUN grep -v '^tensorflow-cpu' requirements.txt > /tmp/requirements-gpu.txt \
    && python -m pip install --no-cache-dir -r /tmp/requirements-gpu.txt

# The project itself, as on a fresh machine but not editable: its dependencies are the
# pins above (so --no-deps), and it brings the `dreambot` and `dreaming` commands.
COPY pyproject.toml README.md LICENSE ./
COPY dreaming ./dreaming
COPY bot ./bot
RUN python -m pip install --no-cache-dir --no-deps . && rm -rf build ./*.egg-info
COPY config.yaml.example ./

# Bake the converted weights in (the same setup step as a fresh machine), so start-up
# needs no download.
RUN python -m dreaming.weights && chmod -R a+rX /opt/dreambot

RUN useradd --create-home --uid 10001 dreambot && mkdir /data && chown dreambot /data
USER 10001
VOLUME /data

# Healthy = connected to the Discord gateway with at least one dream worker alive.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"]

CMD ["dreambot", "--config", "/etc/dreambot/config.yaml"]
