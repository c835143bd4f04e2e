# Dreambot on a GPU host. The official TensorFlow GPU image brings TensorFlow with CUDA,
# so the CPU-only wheel pinned in requirements.txt is left out here.
FROM tensorflow/tensorflow:2.20.0-gpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DREAMBOT_CACHE=/opt/dreambot/cache

WORKDIR /app
COPY requirements.txt ./
RUN grep -v '^tensorflow-cpu' requirements.txt > /tmp/requirements-gpu.txt \
    && python -m pip install --no-cache-dir -r /tmp/requirements-gpu.txt

COPY dreaming ./dreaming
COPY bot ./bot
COPY config.yaml.example ./

# Bake the converted weights in (the same setup step as a fresh machine), so start-up
# needs no download.
RUN python -m dreaming.setup && chmod -R a+rX /opt/dreambot

RUN useradd --create-home --uid 10001 dreambot && mkdir /data && chown dreambot /data
USER 10001
VOLUME /data

CMD ["python", "-m", "bot", "--config", "/etc/dreambot/config.yaml"]
