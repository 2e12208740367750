"""The deadline watch: when a case needs attention (pure rules) and the sweep that acts."""
