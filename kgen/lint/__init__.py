"""kgen lint: a static checker for Keras scripts (libcst; never imports the linted code)."""
