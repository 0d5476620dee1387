/**
 * Loads an ES module (a .ts entry point) from the CommonJS launchers. Kept apart from them
 * because `import()` is a syntax error on the oldest Node.js versions they must still run on to
 * print their message: this file is only read once the version check has passed.
 */
"use strict";

const { pathToFileURL } = require("url");

module.exports = function importModule(file) {
  return import(pathToFileURL(file).href);
};
