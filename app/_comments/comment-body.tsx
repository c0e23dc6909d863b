/**
 * A comment's body, drawn as text. React escapes it: `<script>` or `<img onerror>` in a body shows as those
 * characters and never becomes markup. Line breaks are kept by CSS (pre-wrap), not by inserting elements.
 */
export function CommentBody(props: {
  readonly body: string;
  readonly deleted: boolean;
  readonly testId?: string;
}) {
  if (props.deleted) {
    return (
      <div className="comment-body deleted" data-testid={props.testId}>
        Comment deleted
      </div>
    );
  }
  return (
    <div className="comment-body" data-testid={props.testId}>
      {props.body}
    </div>
  );
}
