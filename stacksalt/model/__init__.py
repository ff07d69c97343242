"""The reclass model: rendering nodes, checking the model, showing merged pillars."""
