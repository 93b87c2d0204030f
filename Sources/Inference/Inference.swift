// Inference module: work in progress.
