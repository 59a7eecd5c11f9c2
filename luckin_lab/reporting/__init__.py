"""Report factory: parameter files, papermill runs, rendering, house style."""
