// fanout-summarize: one `summarize` tool call per document, side by side; once every call has answered,
// the summaries (in the documents' order) go into the user's session as one `summary.ready` event, which
// admission gives the session's next sequence. A failed call fails the run: the calls that had completed
// are compensated (each tool's compensate URL is POSTed) and the session hears nothing.
import { complete, defineSaga, fanOut } from '../../src/saga';
import { toolCallChild } from '../../src/tools';

export interface SummarizeDocuments {
  documents: Array<{ id: string; text: string }>;
  /** The conversation the combined summary goes to. */
  session: { channel: string; sessionId: string };
  summaries?: Array<{ documentId: string; summary: unknown }>;
}

export default defineSaga<SummarizeDocuments>({
  type: 'fanout-summarize',
  steps: [
    fanOut<SummarizeDocuments>({
      name: 'summarize',
      children: (ctx) =>
        ctx.state.documents.map((d) =>
          toolCallChild(ctx, d.id, 'summarize', { documentId: d.id, text: d.text }),
        ),
      join: 'all',
      timeout: '10m',
      onJoined: (ctx, children) => {
        ctx.state.summaries = children.map((c, i) => ({
          documentId: ctx.state.documents[i]?.id ?? String(i),
          summary: c.result,
        }));
      },
    }),
    {
      name: 'publish',
      run: async (ctx) => {
        const summaries = ctx.state.summaries ?? [];
        await ctx.send({
          // Through admission: the event takes the session's next sequence like any other.
          exchange: 'waggle.admission',
          event: ctx.event({
            id: `${ctx.saga.id}-r${ctx.saga.run}-summary`,
            type: 'summary.ready',
            channel: ctx.state.session.channel,
            sessionId: ctx.state.session.sessionId,
            data: { runId: ctx.saga.id, summaries },
          }),
        });
        return complete({ summaries });
      },
    },
  ],
});
