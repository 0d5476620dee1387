/**
 * A secret the service shows once (a webhook endpoint's signing secret, a new API key): the value
 * as text, a button that copies it, and the warning that it will not be shown again. Its heading
 * takes the focus when it appears, so a keyboard or screen reader user lands on it. "I have
 * stored it" takes it off the page; leaving the page does too, as the console keeps it nowhere
 * (no storage, no URL): mount it with `key={secret}` so a second secret is a new panel.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

export interface SecretOnceProps {
  /** The panel's heading, e.g. "Signing secret of the new endpoint". */
  title: string;
  secret: string;
  /** What the secret is, in the copy button's name and the messages: "signing secret", "API key". */
  noun: string;
  /** Lines after the warning: what to do with it, until when an older secret still works. */
  children?: ComponentChildren;
  /** The person says it is stored: the panel goes away. */
  onDone(): void;
}

let panels = 0;

/** The panel of one secret shown once. */
export function SecretOnce({ title, secret, noun, children, onDone }: SecretOnceProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  const value = useRef<HTMLElement>(null);
  const id = useRef(`secret-${++panels}`);
  const [copyStatus, setCopyStatus] = useState("");

  useEffect(() => heading.current?.focus(), []);

  async function copy() {
    try {
      // Needs a secure context (https, or loopback under `npm start`) and the page's focus.
      await navigator.clipboard.writeText(secret);
      setCopyStatus(`Copied the ${noun} to the clipboard.`);
    } catch {
      // Refused (no permission, an insecure origin): select it, so one key press copies it.
      const selection = getSelection();
      if (value.current && selection) selection.selectAllChildren(value.current);
      setCopyStatus(
        `The browser did not let the console copy. The ${noun} is selected: press Ctrl+C (⌘C on a Mac).`,
      );
    }
  }

  return (
    <section class="notice notice-secret" aria-labelledby={`${id.current}-title`}>
      <h2 id={`${id.current}-title`} ref={heading} tabIndex={-1}>
        {title}
      </h2>
      <p class="secret-warning">
        <strong>Store it now: it will not be shown again.</strong> The service keeps no copy it could show
        you.
      </p>
      <p>
        <code class="secret" ref={value}>
          {secret}
        </code>
      </p>
      <div class="actions">
        <button type="button" class="primary" onClick={() => void copy()}>
          Copy the {noun}
        </button>
        <button type="button" onClick={onDone}>
          I have stored it
        </button>
      </div>
      <p class="copy-status" role="status">
        {copyStatus}
      </p>
      {children}
    </section>
  );
}
