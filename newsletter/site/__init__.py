"""What is published beside the email: web copies, the archive page and the feed."""
