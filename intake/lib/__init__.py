"""Framework-free I/O that several channels share (file names safe on disk and in mail)."""
