/** Every term the app uses, in plain words (the same text `<Term>` shows on hover). */
import { AppHeader } from "@/app/_components/app-header";
import { GLOSSARY } from "@/app/_lib/glossary";

export const metadata = { title: "Glossary · DNO Studio" };

export default function GlossaryPage() {
  return (
    <>
      <AppHeader />
      <main className="list-page glossary" data-testid="glossary">
        <h1>Glossary</h1>
        <p className="muted">What the words on the editor and run pages mean.</p>
        <dl>
          {GLOSSARY.map((entry) => (
            <div key={entry.id} id={entry.id} className="glossary-entry">
              <dt>
                {entry.term}
                {entry.aliases.length > 0 ? (
                  <span className="muted"> — also shown as {entry.aliases.join(", ")}</span>
                ) : null}
              </dt>
              <dd>{entry.text}</dd>
            </div>
          ))}
        </dl>
      </main>
    </>
  );
}
