"""Argos Translate model packages: where they live, how they install, how they run on CTranslate2."""
