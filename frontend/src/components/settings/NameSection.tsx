import { useRef, useState } from 'react';
import { toApiProblem, type User } from '../../api/client';
import { fieldError, otherFieldErrors, problemMessage, type ApiProblem } from '../../api/problem';
import { nameProblem } from '../../lib/nameRule';
import { NAME_MAX, codePointLength } from '../../lib/text';
import { useRename } from '../../queries/account';
import { Field } from '../Field';
import { SettingsForm } from './SettingsForm';
import { SettingsSection } from './SettingsSection';

interface NameSectionProps {
  user: User;
  /** A request answered 401: the session is gone. */
  onSessionEnded: () => void;
}

/** "Change name": PATCH /me. The new name shows everywhere once the server has it. */
export function NameSection({ user, onSessionEnded }: NameSectionProps) {
  const [name, setName] = useState(user.name);
  const rename = useRename();
  /** The rule the name breaks, found before sending. */
  const [ruleError, setRuleError] = useState<string | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [saved, setSaved] = useState('');
  const inputRef = useRef<HTMLInputElement>(null);
  const length = codePointLength(name);
  const busy = rename.isPending;

  function edit(value: string) {
    setName(value);
    setRuleError(null);
    setProblem(null);
    setSaved('');
  }

  function save() {
    if (busy) return;
    setMessage(null);
    setSaved('');
    const broken = nameProblem(name);
    if (broken) {
      setRuleError(broken);
      inputRef.current?.focus();
      return;
    }
    rename.mutate(
      { body: { name } },
      {
        onSuccess: (renamed) => {
          setName(renamed.name);
          setSaved(`Saved. Your name is now ${renamed.name}.`);
        },
        onError: (error) => {
          const failure = toApiProblem(error);
          if (failure.status === 401) return onSessionEnded();
          if (failure.status === 422) {
            setProblem(failure);
            const others = otherFieldErrors(failure, ['name']);
            if (others.length) setMessage(others.join(' '));
            inputRef.current?.focus();
          } else setMessage(`Could not change your name. ${problemMessage(failure)}`);
        },
      },
    );
  }

  return (
    <SettingsSection title="Name" description="Shown on your profile and at the top of every page.">
      <SettingsForm
        name="Change name"
        action="Save name"
        busy={busy}
        messages={message ? [message] : []}
        saved={saved}
        onSubmit={save}
      >
        <Field
          label="Name"
          type="text"
          autoComplete="name"
          value={name}
          onValueChange={edit}
          inputRef={inputRef}
          error={ruleError ?? fieldError(problem, 'name')}
          hint={(id) => (
            <p id={id} className={`hint${length > NAME_MAX ? ' hint--bad' : ''}`}>
              1 to {NAME_MAX} characters ({length} now).
            </p>
          )}
        />
      </SettingsForm>
    </SettingsSection>
  );
}
