// Loads the native addon. The test script builds it with cargo and copies it here as kohi.node;
// a published package ships the same file.
'use strict'

module.exports = require('./kohi.node')
