"""Cases: filing, clerk actions, deadlines, queries, contact, letters, LINE binding, retention."""
