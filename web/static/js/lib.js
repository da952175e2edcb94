// The console's only libraries: preact, its hooks and htm (vendored under /vendor/, see
// web/vendor/update.sh). Every module imports them from here.
import { h, render, Fragment } from '/vendor/preact.module.js';
import { useState, useEffect, useRef, useMemo, useCallback } from '/vendor/hooks.module.js';
import htm from '/vendor/htm.module.js';

export const html = htm.bind(h);
export { h, render, Fragment, useState, useEffect, useRef, useMemo, useCallback };
