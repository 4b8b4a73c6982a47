// Tagged templates instead of JSX: htm turns them into preact elements, so there is no build step. Text put
// into a template is always a text node or an attribute value, never parsed as HTML.
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
