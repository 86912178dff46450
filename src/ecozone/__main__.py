from ecozone.cli import app

app()
