// Scrapbook module: work in progress.
