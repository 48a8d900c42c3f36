"""Model format, flavours and environments of saved models."""
