"""Cloud speech engines: natural Vietnamese voices that need internet and a key."""
