package signalsim

import "fmt"

// ContactWrites has a scripted contact start a conversation: account
// receives a direct message from the contact, who has never been written
// to. The contact then takes the first message it receives from account
// as the consent request and answers it as scripted. Returns an error for
// an unknown account or contact.
func (s *Server) ContactWrites(contact, account, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[account]
	if a == nil {
		return fmt.Errorf("signalsim: no account %s", account)
	}
	c := s.lookupContactLocked(contact)
	if c == nil {
		return fmt.Errorf("signalsim: no contact %s", contact)
	}
	env := s.envelopeFrom(c.Number, c.UUID, c.Name, s.nowTS())
	env.DataMessage = &DataMessage{Timestamp: env.Timestamp, Message: strPtr(text)}
	s.emitLocked(a.number, env)
	return nil
}
