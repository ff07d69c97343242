"""``stacksalt compose``: the model's services run from the docker-salt images with
docker-compose (render the file, bring it up, wait until healthy, bring it down)."""
