"""Categories a person teaches from a few photos, learned from the stored embeddings."""
